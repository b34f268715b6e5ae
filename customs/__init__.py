"""customs."""
