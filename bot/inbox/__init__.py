"""The inbox: what the bot could not answer, grouped for staff, and the safety messages staff must see."""
