"""Custom contact fields."""
