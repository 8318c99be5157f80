from bot import create_app
from bot.config import SettingError

try:
    app = create_app()
except SettingError as exc:  # a bad value in the environment: one clear line, no traceback
    raise SystemExit(f"Cannot start: {exc}") from None
