"""Contacts: the people a workspace talks to."""
