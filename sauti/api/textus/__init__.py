"""The TextUs API v2 dialect: ``/api/<resource>``, HTTP Basic, page pagination with ``X-*`` headers."""
