"""Takedown audit (being written)."""
