"""Bodies Sauti sends out unasked: web hook payloads, one module per format.

Like the channel types, a format is pure (it imports only ``kit``): it turns plain facts (``facts.py``) into the
JSON a receiver expects, so the domain can decide *when* an event is delivered and the worker only posts bytes.
A dialect whose API answers with the same objects (the TextUs Messages API and its V2 web hooks) renders them
from here too, so the two never drift apart.
"""
