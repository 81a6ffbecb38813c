"""The flow engine and the contact query language: pure, no I/O."""
