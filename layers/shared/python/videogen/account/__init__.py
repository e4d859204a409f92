"""The caller's own account: deletion (GDPR right to erasure)."""
