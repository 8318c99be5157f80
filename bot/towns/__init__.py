"""Towns as tenants: creating, suspending and configuring the towns one deployment serves (the operator's room).

The table and the current town live in bot/models/tenancy.py and bot/core/tenancy.py; this room holds what an
operator (運用者) does with towns: `flask towns …`, and the LINE channel credentials, encrypted at rest."""
from bot.towns import labels as _labels  # noqa: F401,E402  (registers its Japanese names in bot.core.labels)
