"""Ticket topics: what a ticket is about (``topics.json``); every workspace has the system topic "General"."""
