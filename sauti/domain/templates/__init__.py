"""Message templates: saved texts with {{ placeholders }}, and the rendering of placeholders for a recipient."""
