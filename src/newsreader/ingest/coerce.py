"""Turn untrusted front-matter values into the types the model wants. Never trusts, never raises."""

from __future__ import annotations

import email.utils
import math
import re
from datetime import UTC, date, datetime, time
from itertools import islice
from typing import Any

from newsreader.ingest.sanitize import clean_line, clean_text

_NUMBER = re.compile(r"[+-]?(\d{1,18}(\.\d*)?|\.\d+)([eE][+-]?\d{1,3})?")
#: Tried in order after ISO 8601 and RFC 2822, on the text with its spaces collapsed. Dates
#: with a 12-hour clock (``Apr 11 2021 8:51PM``) are what CMS exports and .NET tools write.
_DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%m/%d/%Y %I:%M:%S %p",  # a 12-hour clock goes with the US month-first order
    "%m/%d/%Y %I:%M %p",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
    "%b %d %Y %I:%M%p",
    "%b %d %Y %I:%M %p",
    "%b %d %Y %I:%M:%S%p",
    "%b %d %Y %I:%M:%S %p",
    "%b %d %Y %H:%M:%S",
    "%b %d %Y %H:%M",
    "%b %d %Y",
    "%b %d, %Y %I:%M %p",
    "%b %d, %Y %I:%M%p",
    "%b %d, %Y %H:%M",
    "%b %d, %Y",
    "%b. %d, %Y",
    "%B %d %Y %I:%M%p",
    "%B %d %Y %I:%M %p",
    "%B %d %Y",
    "%B %d, %Y %I:%M %p",
    "%B %d, %Y %I:%M%p",
    "%B %d, %Y %H:%M",
    "%B %d, %Y",
    "%A, %B %d, %Y",
    "%d %b %Y %H:%M:%S",
    "%d %b %Y %H:%M",
    "%d %b %Y",
    "%d %B %Y %H:%M",
    "%d %B %Y",
    "%Y%m%d",
)
#: "Sun, 11 Apr 2021 20:51:00 +0000" (the weekday optional, a zone name or offset at the end)
_RFC2822 = re.compile(
    r"(?:[A-Z][a-z]{2}, )?\d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}(?::\d{2})? (?:[+-]\d{4}|[A-Z]{1,5})$"
)
_ORDINAL = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)\b", re.I)
_MERIDIEM = re.compile(r"\b([ap])\.m\.", re.I)
_MONTH_DOT = re.compile(r"\b(Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\.", re.I)
_YEAR_COMMA = re.compile(r"\b(\d{4}),(?= \d)")
#: Bounds on how much of an untrusted structure is walked when keeping extras. The node budget
#: matters most: YAML aliases share nodes, so a few kilobytes can describe billions of them.
_MAX_DEPTH = 8
_MAX_ITEMS = 200
_MAX_NODES = 5000


def as_str(value: Any, limit: int = 500) -> str:
    """A one-line string for a scalar, '' for anything else."""
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, str | int | float):
        try:
            return clean_line(str(value), limit)
        except ValueError:  # an int too long to print (over 4300 digits)
            return ""
    return ""


def as_text(value: Any, limit: int = 20_000) -> str:
    """A multi-line string for a scalar, '' for anything else."""
    if isinstance(value, str):
        return clean_text(value[:limit]).strip()
    return as_str(value, limit)


def as_list(value: Any, limit: int = 1000) -> list[Any]:
    """A list, whatever came: a scalar becomes a one-item list, None an empty one."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value[:limit])
    return [value]


def as_str_list(value: Any, limit: int = 50) -> list[str]:
    """Topics and tags: ``"AI"`` becomes ``["AI"]``; "a, b" stays one topic per comma."""
    items = value.split(",", 1000) if isinstance(value, str) and "," in value else as_list(value)
    out: list[str] = []
    for item in items:
        if isinstance(item, dict):
            item = item.get("name") or item.get("title")
        text = as_str(item, 80)
        if text and text not in out:
            out.append(text)
        if len(out) >= limit:
            break
    return out


def as_int(value: Any) -> int | None:
    """An int from an int, a float or a numeric string; None otherwise."""
    number = as_number(value)
    if isinstance(number, float):
        return int(number) if math.isfinite(number) else None
    return number if isinstance(number, int) else None


def as_number(value: Any) -> Any:
    """Numbers in strings become numbers; everything else is returned unchanged."""
    if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            number = float(text)
            return number if math.isfinite(number) else value
    return value


def as_datetime(value: Any) -> datetime | None:
    """A timezone-aware datetime from the usual formats; None when it can't be read."""
    try:
        return _as_datetime(value)
    except (ValueError, OverflowError, TypeError, OSError):
        return None


def _as_datetime(value: Any) -> datetime | None:
    if isinstance(value, bool) or value is None:
        return None
    result: datetime | None
    if isinstance(value, datetime):
        result = value
    elif isinstance(value, date):
        result = datetime.combine(value, time())
    elif isinstance(value, int | float):
        # Epoch seconds, or milliseconds when too large for seconds.
        seconds = value / 1000 if value > 1e11 else value
        return datetime.fromtimestamp(seconds, UTC)
    elif isinstance(value, str):
        text = value.strip()[:64]
        if not text:
            return None
        if text.isdigit() and len(text) >= 9:
            return _as_datetime(int(text))
        result = _parse_date_string(text)
        if result is None:
            return None
    else:
        return None
    if result.tzinfo is None:
        result = result.replace(tzinfo=UTC)
    return result


def _parse_date_string(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        pass
    if _RFC2822.match(text):
        # mail and feed dates: at once, not after every strptime format has failed (646 µs)
        try:
            return email.utils.parsedate_to_datetime(text)
        except (ValueError, TypeError, IndexError):
            pass
    # The formats before RFC 2822: its parser takes the "PM" of "Apr 11 2021 8:51 PM" for a
    # time zone and reads 8:51 in the morning.
    spaced = " ".join(text.split())
    if any(c.isalpha() for c in spaced):
        # "April 11th, 2021", "Apr. 11, 2021, 8:51 p.m.", "Sept. 3": the forms the formats know
        spaced = _ORDINAL.sub(r"\1", spaced)
        spaced = _MERIDIEM.sub(lambda m: m.group(1).upper() + "M", spaced)
        spaced = _MONTH_DOT.sub(r"\1", spaced.replace("Sept", "Sep"))
        spaced = _YEAR_COMMA.sub(r"\1", spaced)
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(spaced, fmt)
        except ValueError:
            continue
    try:
        return email.utils.parsedate_to_datetime(text)
    except (ValueError, TypeError, IndexError):
        return None


def jsonable(value: Any, max_nodes: int = _MAX_NODES) -> Any:
    """A bounded, JSON-safe copy of an untrusted YAML value (extras are kept this way).

    At most ``max_nodes`` values are copied, ``_MAX_ITEMS`` per container and ``_MAX_DEPTH``
    deep; what lies beyond becomes None. Self-referencing aliases and alias bombs stop there.
    """
    budget = [max_nodes]

    def copy(value: Any, depth: int) -> Any:
        budget[0] -= 1
        if depth > _MAX_DEPTH or budget[0] < 0:
            return None
        if isinstance(value, bool) or value is None:
            return value
        if isinstance(value, int):
            return value if abs(value) < 2**63 else as_str(value) or None
        if isinstance(value, float):
            return value if math.isfinite(value) else None
        if isinstance(value, str):
            return as_number(clean_text(value[:5000]))
        if isinstance(value, datetime | date):
            return value.isoformat()
        if isinstance(value, dict):
            out: dict[str, Any] = {}
            for key, item in islice(value.items(), _MAX_ITEMS):
                out[as_str(key, 100) or type(key).__name__] = copy(item, depth + 1)
            return out
        if isinstance(value, list | tuple | set | frozenset):
            return [copy(item, depth + 1) for item in islice(value, _MAX_ITEMS)]
        return as_str(value)

    return copy(value, 0)
