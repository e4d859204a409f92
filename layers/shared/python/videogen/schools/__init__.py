"""Schools and classes (issue 15): tenancy scoping, the activity log, teacher oversight."""
