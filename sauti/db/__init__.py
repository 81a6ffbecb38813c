"""Database access: the async engine, sessions, the declarative base and migrations."""
