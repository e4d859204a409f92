"""Schools and classes (issue 15): the tenants, their settings, scoping, the activity log and
teacher oversight."""
