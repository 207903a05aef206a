"""The search syntax, parsed into safe SQL and an escaped FTS5 expression.

``plain words``, ``"a phrase"``, ``-word``, ``OR``, ``topic:AI``, ``source:nypost``,
``is:unread``/``is:read``/``is:starred``, ``after:2021-04-01``, ``before:2021-05-01`` (also a
month, ``2021-04``, a year, or a time ago: ``after:7d``, ``before:2w``; :func:`problem` names a
date that cannot be read, and its filter keeps nothing).
User text never reaches FTS5 unquoted: every term becomes a quoted string, so ``"abc``, ``C++``,
``AT&T``, ``(`` and ``*`` are just words (or nothing).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

#: A quoted phrase (optionally negated, optionally a filter's value: ``topic:"Computer Vision"``),
#: or a bare word.
_TOKEN = re.compile(r'(-?)(?:([A-Za-z]+):)?"([^"]*)"?|(\S+)')
_WORD = re.compile(r"\w", re.UNICODE)


@dataclass
class Query:
    """A parsed query: an FTS5 expression (or ''), plus structured filters."""

    fts: str = ""
    #: Terms only excluded (``-word`` with no positive term): applied as NOT IN.
    exclude: str = ""
    topics: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    not_topics: list[str] = field(default_factory=list)
    not_sources: list[str] = field(default_factory=list)
    read: bool | None = None
    starred: bool | None = None
    after: int | None = None
    before: int | None = None
    terms: list[str] = field(default_factory=list)
    #: ``fts`` in two parts when it has a NOT: ``(positive) NOT (negated)``; else both empty.
    positive: str = ""
    negated: str = ""
    #: What could not be read (a bad date): see :func:`problem`. Its filter keeps nothing.
    errors: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """True when the query filters nothing."""
        return (
            not (
                self.fts
                or self.exclude
                or self.topics
                or self.sources
                or self.not_topics
                or self.not_sources
                or self.after
                or self.before
            )
            and self.read is None
            and self.starred is None
        )


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


#: ``after:7d``: so many hours, days, weeks, months (30 days) or years (365 days) ago.
_RELATIVE = re.compile(r"(\d{1,6})([hdwmy])", re.IGNORECASE)
_SECONDS = {"h": 3600, "d": 86400, "w": 7 * 86400, "m": 30 * 86400, "y": 365 * 86400}
#: ``after:2021-04`` (the month's first day), ``after:2021`` (the year's).
_MONTH = re.compile(r"(\d{4})(?:-(\d{1,2}))?")
#: Stands in for a date that cannot be read, so the filter keeps nothing (never everything).
_NEVER_AFTER, _NEVER_BEFORE = 2**62, -(2**62)


def _epoch(value: str, now: float | None = None) -> int | None:
    """A search date as an epoch: a date or date-time, a month, a year, or a time ago."""
    text = value.strip()
    if relative := _RELATIVE.fullmatch(text):
        ago = int(relative.group(1)) * _SECONDS[relative.group(2).lower()]
        return int((time.time() if now is None else now) - ago)
    if month := _MONTH.fullmatch(text):
        year, number = int(month.group(1)), int(month.group(2) or 1)
        if 1 <= number <= 12:
            return int(datetime(year, number, 1, tzinfo=UTC).timestamp())
        return None
    # Here, not at the top: it imports ``email``, which a search without a date never needs.
    from newsreader.ingest.coerce import as_datetime

    parsed = as_datetime(text)
    return int(parsed.timestamp()) if parsed else None


def problem(text: str) -> str | None:
    """The first part of a search that cannot be read, as one line for the person who typed
    it (``cannot read the date in 'after:2021-13-45': …``), or None."""
    errors = parse(text).errors
    return errors[0] if errors else None


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def parse(text: str) -> Query:
    """Parse user input; never raises. Unknown ``key:value`` pairs are searched as words."""
    query = Query()
    groups: list[list[str]] = [[]]  # OR-separated groups of AND-ed phrases
    negatives: list[str] = []
    pending_or = False
    # Control characters are no part of any word; a NUL would even end SQLite's parse of the
    # quoted FTS string early ("unterminated string").
    text = _CONTROL.sub(" ", text[:1000])
    for match in _TOKEN.finditer(text):
        neg, key, phrase, bare = match.groups()
        if key is not None and phrase is not None:
            if _apply_filter(query, key.lower(), phrase, negated=bool(neg)):
                continue
            phrase = f"{key}:{phrase}"
        if bare is not None:
            neg, word = ("-", bare[1:]) if bare.startswith("-") and len(bare) > 1 else ("", bare)
            if word == "OR" and not neg:
                pending_or = True
                continue
            key, _, value = word.partition(":")
            key = key.lower()
            if value and _apply_filter(query, key, value, negated=bool(neg)):
                continue
            phrase = word
        if phrase is None or not _WORD.search(phrase):
            continue
        query.terms.extend(_WORD_RE.findall(phrase))
        if neg:
            negatives.append(_quote(phrase))
            continue
        if pending_or and groups[-1]:
            groups.append([])
        pending_or = False
        groups[-1].append(_quote(phrase))
    parts = [" AND ".join(group) for group in groups if group]
    positive = " OR ".join(f"({part})" if len(parts) > 1 else part for part in parts)
    if positive and negatives:
        query.positive, query.negated = positive, " OR ".join(negatives)
        query.fts = f"({query.positive}) NOT ({query.negated})"
    elif positive:
        query.fts = positive
    elif negatives:
        query.exclude = " OR ".join(negatives)
    return query


_WORD_RE = re.compile(r"\w+", re.UNICODE)


def _apply_filter(query: Query, key: str, value: str, *, negated: bool = False) -> bool:
    value = value.strip('"')
    if negated:
        # ``-topic:AI`` and ``-source:nypost`` exclude; other negated filters are words.
        if key in ("topic", "tag") and value:
            query.not_topics.append(value)
        elif key in ("source", "site", "provider") and value:
            query.not_sources.append(value)
        else:
            return False
        return True
    if key in ("topic", "tag"):
        query.topics.append(value)
    elif key in ("source", "site", "provider"):
        query.sources.append(value)
    elif key == "is" and value.lower() in ("unread", "read", "starred", "unstarred"):
        flag = value.lower()
        if flag in ("read", "unread"):
            query.read = flag == "read"
        else:
            query.starred = flag == "starred"
    elif key in ("after", "since", "before", "until"):
        epoch = _epoch(value)
        if epoch is None:
            query.errors.append(
                f"cannot read the date in '{key}:{value}': write it as 2021-04-01, 2021-04,"
                " 2021, or a time ago like 7d, 2w, 3m, 1y"
            )
        if key in ("after", "since"):
            query.after = _NEVER_AFTER if epoch is None else epoch
        else:
            query.before = _NEVER_BEFORE if epoch is None else epoch
    else:
        return False
    return True
