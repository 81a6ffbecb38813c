"""Message signatures: a line appended to what users send, while one is active."""
