"""Archives of old messages and runs."""
