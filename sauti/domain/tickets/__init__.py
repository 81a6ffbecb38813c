"""Tickets: opened for a contact by a flow's ``open_ticket``, listed by ``tickets.json`` and changed by
``ticket_actions.json``."""
