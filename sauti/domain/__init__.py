"""The use cases: plain async functions over a session. No FastAPI, no wire schemas."""
