"""Auto replies: the text sent back to a contact whose message nothing else answered, while one is active."""
