"""Sauti: a self-hostable messaging platform speaking the RapidPro API v2 and TextUs API v2 dialects."""

__version__ = "0.1.0"
