"""Opt outs: phone numbers that asked not to be texted (a stopped contact, seen from the number's side)."""
