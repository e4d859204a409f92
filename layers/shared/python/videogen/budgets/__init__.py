"""Budgets in money (issue 16): scopes, the append-only ledger, atomic reservation."""
