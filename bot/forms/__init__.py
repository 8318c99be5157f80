"""Forms defined in the pack: the public pages, submissions, and the staff's applications list."""
