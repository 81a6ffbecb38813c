"""Workspaces, users, memberships and API tokens."""
