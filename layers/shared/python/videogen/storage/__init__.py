"""Object storage port: where finished videos live, served through short-lived signed URLs."""
