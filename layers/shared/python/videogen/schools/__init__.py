"""Schools and classes (issue 15): the tenants, their settings and their activity log."""
