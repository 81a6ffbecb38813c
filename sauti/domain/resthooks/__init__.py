"""Resthooks: workspace slugs flows fire, their subscribers, the events recorded and the deliveries made."""
