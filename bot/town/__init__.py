"""The town itself: its name, switchboard, opening hours, website and disaster mode."""
