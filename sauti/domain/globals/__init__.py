"""Workspace globals."""
