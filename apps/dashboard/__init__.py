"""Forks of Oscar's dashboard apps (only those whose behaviour the shop changes)."""
