"""Numbers taken from URLs, bounded to what the database columns and offsets can hold."""
from __future__ import annotations

from flask import abort, request
from werkzeug.routing import IntegerConverter, Map

# Ids are `Integer` columns: 32 bits on PostgreSQL (a bigger value is "integer out of range"), 64 on SQLite
# (beyond that the driver raises OverflowError). Either way a 500 instead of simply finding nothing.
MAX_ID = 2**31 - 1
# OFFSET takes a signed 64-bit integer on both databases.
MAX_INT = 2**63 - 1


def bounded_int(map: Map, *args, **kwargs) -> IntegerConverter:
    """Return werkzeug's `<int:…>` converter capped at MAX_ID, so larger numbers are a 404."""
    # A plain IntegerConverter instance (not a subclass): code and tests that look at rule converters
    # keep recognising it; only its upper bound changes.
    converter = IntegerConverter(map, *args, **kwargs)
    if converter.max is None or converter.max > MAX_ID:
        converter.max = MAX_ID
    return converter


def page_number(per_page: int, name: str = "page") -> int:
    """Return the 1-based page asked for in the query string; nonsense is page 1, beyond any offset a 404."""
    raw = request.args.get(name, "")
    if not (raw.isascii() and raw.isdigit()):
        return 1
    page = int(raw)
    if page > MAX_INT // per_page:
        abort(404)  # no listing is that long, and its offset would not fit a database integer
    return max(page, 1)
