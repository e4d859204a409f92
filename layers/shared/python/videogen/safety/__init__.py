"""Safety at school: the prompt filter (a port with one built-in implementation) and the
safety events a refused prompt leaves for the student's teachers and school admins."""
