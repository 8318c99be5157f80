"""The town's own settings as replies read them: a frozen copy, built by bot/town/settings.py."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Town:
    """The town's own contact details and disaster mode, from settings (bot/town/settings.py)."""

    name: str
    contact: str
    phone: str
    website: str
    hours: str = ""
    disaster: bool = False  # 災害時モード: replies carry the banner, the greeting changes
    disaster_banner: str = ""
    disaster_greeting: str = ""
    # Some resident is talking with staff (オンライン窓口, bot.chat): only then does a message cost a look at the chats.
    chats_open: bool = False
    chat_quiet_minutes: int = 0  # the counter's quiet period as staff set it (0: the app's CHAT_QUIET_MINUTES)
    # 電力会社・水道の連絡先 for outages in disaster mode: a name and a phone number or a URL; empty until set.
    power_name: str = ""
    power_contact: str = ""
    water_name: str = ""
    water_contact: str = ""

    @property
    def kind(self) -> str:
        """Return 市, 町 or 村, as the town's name ends (芦別市 → 市, 美瑛町 → 町); 市 when the name says neither."""
        return self.name[-1] if self.name[-1:] in ("市", "町", "村") else "市"

    @property
    def hall(self) -> str:
        """Return what residents call the town's office: 市役所, 町役場 or 村役場."""
        return {"市": "市役所", "町": "町役場", "村": "村役場"}[self.kind]

    def contact_line(self) -> str:
        """Return whom to ask, with the phone number when staff have set one."""
        phone = f"（電話 {self.phone}）" if self.phone else ""
        return f"{self.contact}{phone}"
