"""Uploaded media: files kept under the data directory and attached to messages and broadcasts by reference."""
