"""Broadcasts: one message to many contacts, expanded into messages by the worker in batches."""
