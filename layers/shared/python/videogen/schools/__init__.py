"""Schools, classes, join codes, teacher invites and the school activity log (issue 15)."""
