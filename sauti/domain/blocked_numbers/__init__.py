"""Blocked numbers: phone numbers whose messages are kept but not handled (a blocked contact, from the number's
side)."""
