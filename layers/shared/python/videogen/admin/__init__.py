"""Admin views of all jobs and users, and changes to a user's role or daily caps."""
