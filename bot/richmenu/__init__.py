"""The rich menu: its definition in the pack, its image, publishing it to LINE, and disaster mode."""
