"""Generation jobs: submission with budgets and idempotency, reads, cancel, retry."""
