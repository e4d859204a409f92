"""Schools and classes (issue 15): the tenants and their settings, classes, join codes and
teacher invites, scoping, the activity log and teacher oversight."""
