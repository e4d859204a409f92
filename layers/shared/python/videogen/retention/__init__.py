"""Retention: each school's videos deleted after its `retention_days` (functions/retention)."""
