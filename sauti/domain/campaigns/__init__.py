"""Campaigns: events fired for every member of a group, each on their own date (RapidPro's campaigns)."""
