"""Channel types: one module per type behind one small interface, registered by code.

A type turns an outgoing message into provider requests (``send``) and a provider's request to us into
incoming messages, status updates or events (``receive``). Types know nothing of the database or the web
framework: they get plain values in and give plain values back, so each is tested by a table of incoming
cases and a table of outgoing cases against a local fake provider.
"""
