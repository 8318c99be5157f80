"""Digital signage in public facilities: screens, their page and their heartbeat."""
