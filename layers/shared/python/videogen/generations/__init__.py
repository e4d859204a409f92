"""Generation jobs: submission with quota and idempotency, reads, cancel, retry."""
