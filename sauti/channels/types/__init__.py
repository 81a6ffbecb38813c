"""One module per channel type; each registers itself with ``sauti.channels.registry.register``."""
