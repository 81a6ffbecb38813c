"""Channels of a workspace."""
