"""Domain-free helpers, one concept per module."""
