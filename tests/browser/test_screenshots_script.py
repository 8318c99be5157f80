"""scripts/screenshots: the staff guide's pictures come out of a fresh demo database, one file per page."""
from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

from tests.browser.conftest import CHROMIUM, _unavailable

ROOT = Path(__file__).resolve().parents[2]
PICTURES = ("simulator", "overview", "entries", "edit", "history", "inbox", "try", "notices", "notice-approve",
            "notice-report", "notice-compose")


def _size(png: Path) -> tuple[int, int]:
    header = png.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", png
    return struct.unpack(">II", header[16:24])


def test_the_script_takes_every_picture_without_touching_docs(tmp_path):
    if not Path(CHROMIUM).exists():
        _unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    tracked = {p.name: p.stat().st_mtime for p in (ROOT / "docs" / "screenshots").glob("*.png")}
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "screenshots"), "--out", str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    for name in PICTURES:
        width, height = _size(tmp_path / f"{name}.png")
        assert height > 300, name
        assert width == (400 if name == "simulator" else 1180), (name, width)
    assert _size(tmp_path / "simulator.png") == (400, 860)
    assert max(_size(tmp_path / f"{name}.png")[1] for name in PICTURES) <= 1600
    assert {p.name: p.stat().st_mtime for p in (ROOT / "docs" / "screenshots").glob("*.png")} == tracked
