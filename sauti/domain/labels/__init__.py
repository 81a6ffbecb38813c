"""Message labels: named tags a user puts on incoming messages (``labels.json``, ``message_actions.json``)."""
