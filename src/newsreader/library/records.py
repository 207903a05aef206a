"""Whole articles for many rows at once, as JSON Lines (``list --json``, ``search --json``).

Each line is what ``json.dumps(record, ensure_ascii=False)`` gives for the record (the keys and
values of ``Article.to_json()`` plus read, starred, related_local, story, similar,
inferred_topics and a snippet), but written field by field: the strings through the JSON
module's own C escaper. Building a dict a row and encoding it whole cost more than the
reading. The stored ``data`` is mostly not parsed at all: its extras go out as stored, and
its images and related links, when no string in them has an escape, are its own strings put
between the record's keys (see ``_nested`` and ``_unescaped``).

The side fields (the other files, the local copies of related links, the story, similar
articles, inferred topics) are read one of two ways, with the same result:

- a few rows (the first ``PER_ROW``, and all of a short list) in one statement where each side
  field is a subquery of the row, run by SQLite on its indexes: the first line is out at once;
- the rest, when they are a good share of the library (``TABLES_SHARE``), from the side
  tables read whole, once, into dicts (a handful of plain scans): at 20,000 rows the
  subqueries took three times the time of everything else.

Either way the number of statements is the same for 5 articles as for 100,000, where building
each :class:`~newsreader.model.Article` and asking its links, story and neighbours in turn cost
about 12 statements an article, and the rows stream in display order.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from json.encoder import encode_basestring
from typing import Any

from newsreader.library import views

#: How many similar articles each record names (as ``Library.similar_ids``).
SIMILAR = 5
#: Rows read with their side fields as subqueries before the side tables are read whole (and
#: all the rows of a list no longer than this): they are the first lines out.
PER_ROW = 200
#: The side tables are read whole only for the rows of at least 1 in this many of the
#: library's articles: reading them costs about 16 us an article of the library, where the
#: subqueries cost about 60 us a row and the dicts 13 (CPU, 20,000 articles).
TABLES_SHARE = 3
#: Rows fetched at a time after the first ``PER_ROW`` (see ``json_lines``).
BATCH = 500

#: The other files holding the article, by path (its own ``path`` comes first in ``paths``).
_PATHS = (
    "SELECT json_group_array(path) FROM (SELECT f.path FROM files f"
    " WHERE f.article_id = a.id AND f.path != a.path ORDER BY f.path)"
)
#: Each related link's key (in the article's order) resolved to the article holding it: where
#: several do, the last one in the key's index, as the per-article lookup found them.
_LOCAL = (
    "SELECT json_group_array(id) FROM (SELECT o.id AS id FROM links l"
    " JOIN url_keys k ON k.rowid = (SELECT max(rowid) FROM url_keys WHERE key = l.key)"
    " JOIN articles o ON o.rowid = k.article WHERE l.article = a.rowid ORDER BY l.position)"
)
_STORY = "SELECT story FROM stories WHERE article = a.rowid"
#: The best neighbours outside the article's own story.
_SIMILAR = (
    "SELECT json_group_array(id) FROM (SELECT o.id FROM similar s"
    " JOIN articles o ON o.rowid = s.other"
    " LEFT JOIN stories mine ON mine.article = s.article"
    " LEFT JOIN stories theirs ON theirs.article = s.other"
    " WHERE s.article = a.rowid AND NOT coalesce(mine.story = theirs.story, 0)"
    f" ORDER BY s.score DESC, o.id LIMIT {SIMILAR})"
)
_INFERRED = (
    "SELECT json_group_array(topic) FROM (SELECT topic FROM inferred_topics"
    " WHERE article = a.rowid ORDER BY score DESC, topic)"
)
_BASE = (
    "a.rowid, a.id, a.path, a.title, a.kind, a.excerpt, a.published, a.url, a.web_url,"
    f" a.provider, a.domain, a.topics, a.type, a.data, {views.FLAGS}"
)
#: CROSS JOIN keeps json_each the outer loop: rows come in the given order, unsorted, and
#: stream (each side field is a subquery of the row, not a sort over all of them).
_FROM = " FROM json_each(?) j CROSS JOIN articles a ON a.rowid = j.value"
_SIDE = f", ({_PATHS}), ({_LOCAL})"
_STORY_SIDE = f", ({_STORY}), ({_SIMILAR}), ({_INFERRED})"

#: A JSON string as ``json.dumps(text, ensure_ascii=False)`` writes it (the same C function).
_quote: Callable[[str], str] = encode_basestring
_encode = json.JSONEncoder(ensure_ascii=False).encode
_loads = json.loads


def json_lines(
    conn: sqlite3.Connection,
    rowids: Sequence[int],
    snippets: dict[int, str] | None = None,
    shown: Callable[[str], str] = str,
) -> Iterator[tuple[str, str]]:
    """``(id, line)`` for each rowid, in the given order: the article as one JSON object
    (without the newline). Paths go through ``shown``; a snippet is added where ``snippets``
    has a non-empty one."""
    if not rowids:
        return
    ready = _stories_ready(conn)
    snippets = snippets or {}
    topics = _Topics()
    first, rest = list(rowids[:PER_ROW]), list(rowids[PER_ROW:])
    if rest and len(rest) * TABLES_SHARE < _last_rowid(conn):
        first, rest = list(rowids), []  # a few rows of a big library: the tables cost more
    sql = f"SELECT {_BASE}{_SIDE}{_STORY_SIDE if ready else ''}{_FROM}"
    for r in conn.execute(sql, (json.dumps(first),)):
        side = (
            _array(r[16]),
            _listed(r[17]),
            _quote(r[18]) if ready and r[18] is not None else "null",
            _listed(r[19]) if ready else "",
            _listed(r[20]) if ready else "",
        )
        yield r[1], _line(r, side, snippets.get(r[0]), shown, topics)
    if not rest:
        return
    tables = _Tables(conn, ready)
    cursor = conn.execute(f"SELECT {_BASE}{_FROM}", (json.dumps(rest),))
    # A batch of rows at a time: stepping SQLite and writing lines in turns, row by row, cost
    # a fifth more CPU (measured; each side's caches go cold while the other runs).
    while batch := cursor.fetchmany(BATCH):
        for r in batch:
            side = tables.side(r[0], r[1], r[2])
            yield r[1], _line(r, side, snippets.get(r[0]), shown, topics)


def _listed(text: str | None) -> str:
    """A ``json_group_array`` of strings as the record writes a list's items (``"a", "b"``)."""
    return ", ".join(map(_quote, _array(text)))


def text_lines(conn: sqlite3.Connection, rowids: Sequence[int]) -> Iterator[str]:
    """``list``'s line for each rowid, in the given order: mark (``*`` starred, ``N`` unread),
    date, title and source, streamed from one statement. The date of each day is formatted
    once (building a datetime a row cost more than reading the row)."""
    if not rowids:
        return
    days: dict[int | None, str] = {None: " " * 10}
    sql = f"SELECT a.title, a.provider, a.published, {views.FLAGS}{_FROM}"
    for title, provider, published, read, starred in conn.execute(sql, (json.dumps(list(rowids)),)):
        day = None if published is None else published // 86400
        date = days.get(day)
        if date is None:
            date = days[day] = datetime.fromtimestamp(published, UTC).strftime("%Y-%m-%d")
        mark = "*" if starred else ("N" if not read else " ")
        yield f"{mark} {date}  {title}" + (f"  ({provider})" if provider else "")


class _Tables:
    """The side tables read whole, for many rows: what the subqueries of ``_SIDE`` and
    ``_STORY_SIDE`` give a row, from dicts, each list as the record writes its items."""

    def __init__(self, conn: sqlite3.Connection, ready: bool) -> None:
        ids: dict[int, str] = dict(conn.execute("SELECT rowid, id FROM articles"))
        # The id of the article each key points at; the last row of a key wins, as
        # ``max(rowid)`` picks it (None: that article is gone).
        target = {
            key: ids.get(article)
            for key, article in conn.execute("SELECT key, article FROM url_keys ORDER BY rowid")
        }
        links: defaultdict[int, list[str]] = defaultdict(list)
        for article, key in conn.execute(
            "SELECT article, key FROM links ORDER BY article, position"
        ):
            if (found := target.get(key)) is not None:
                links[article].append(found)
        self.local = {rowid: ", ".join(map(_quote, found)) for rowid, found in links.items()}
        # Every file of every article, its own path too (``side`` leaves that out): leaving it
        # out here, by a join to the articles, read each article's row (three times the time).
        self.files: defaultdict[str, list[str]] = defaultdict(list)
        for article_id, path in conn.execute(
            "SELECT article_id, path FROM files WHERE article_id IS NOT NULL ORDER BY path"
        ):
            self.files[article_id].append(path)
        self.stories: dict[int, str] = {}
        self.similar: dict[int, str] = {}
        self.inferred: dict[int, str] = {}
        if not ready:
            return
        stories = self.stories = dict(conn.execute("SELECT article, story FROM stories"))
        near: defaultdict[int, list[tuple[float, str]]] = defaultdict(list)
        for article, other, score in conn.execute("SELECT article, other, score FROM similar"):
            found = ids.get(other)
            if found is None or (article in stories and stories.get(other) == stories[article]):
                continue  # gone, or in the article's own story
            near[article].append((-score, found))
        self.similar = {
            rowid: ", ".join([_quote(i) for _, i in sorted(found)[:SIMILAR]])
            for rowid, found in near.items()
        }
        inferred: defaultdict[int, list[str]] = defaultdict(list)
        for article, topic in conn.execute(
            "SELECT article, topic FROM inferred_topics ORDER BY article, score DESC, topic"
        ):
            inferred[article].append(topic)
        self.inferred = {rowid: ", ".join(map(_quote, t)) for rowid, t in inferred.items()}

    def side(self, rowid: int, article_id: str, path: str) -> tuple[Any, ...]:
        """(other paths, related_local, story, similar, inferred_topics) of one row: the other
        paths a list, the rest as the record writes them."""
        files = self.files.get(article_id)
        story = self.stories.get(rowid)
        return (
            [p for p in files if p != path] if files else [],
            self.local.get(rowid, ""),
            "null" if story is None else _quote(story),
            self.similar.get(rowid, ""),
            self.inferred.get(rowid, ""),
        )


class _Topics:
    """A row's topics as the record writes them (``"a", "b"``), each distinct text written
    once: a library has far fewer sets of topics than articles."""

    def __init__(self) -> None:
        self.written: dict[str, str] = {}

    def __call__(self, text: str) -> str:
        line = self.written.get(text)
        if line is None:
            line = self.written[text] = ", ".join([_quote(t) for t in text.split("\n") if t])
        return line


def _line(
    r: Any,
    side: tuple[Any, ...],
    snippet: str | None,
    shown: Callable[[str], str],
    topics: Callable[[str], str],
) -> str:
    """One record as ``json.dumps(record, ensure_ascii=False)`` writes it, key for key."""
    q = _quote
    others, local, story, similar, inferred = side
    published = r[6]
    path = q(shown(r[2]))
    paths = ", ".join([path, *[q(shown(p)) for p in others]]) if others else path
    line = (
        f'{{"id": {q(r[1])}, "path": {path}, "title": {q(r[3])}, "kind": {q(r[4])},'
        f' "excerpt": {q(r[5])},'
        f' "published": {"null" if published is None else _iso(published)},'
        f' "url": {q(r[7] or r[8])}, "web_url": {q(r[8])}, "provider": {q(r[9])},'
        f' "domain": {q(r[10])}, "topics": [{topics(r[11])}], {_nested(r[13], r[12], r[8])},'
        f' "paths": [{paths}],'
        f' "read": {"true" if r[14] else "false"}, "starred": {"true" if r[15] else "false"},'
        f' "related_local": [{local}], "story": {story}, "similar": [{similar}],'
        f' "inferred_topics": [{inferred}]'
    )
    if snippet:
        return f'{line}, "snippet": {q(snippet)}}}'
    return line + "}"


def _iso(epoch: int) -> str:
    """A stored epoch as the record writes it: its UTC datetime's ``isoformat``, quoted."""
    return f'"{datetime.fromtimestamp(epoch, UTC).isoformat()}"'


#: Where the stored ``data`` (``parsing.prepare``: images, related, extras, web_url, written by
#: ``json.dumps(..., ensure_ascii=False)``) puts its extras and its web_url.
_EXTRAS, _WEB_URL = ', "extras": ', ', "web_url": '


def _nested(data: str, kind: str, web_url: str) -> str:
    """The record's images, related links, type and extras (without the braces), as the JSON
    encoder writes them. Only the images and related links are parsed: the extras are the
    stored text itself, which is what encoding them again gives (same encoder, same
    settings), and parsing then encoding them cost more than the rest of the line."""
    cut = data.find(_EXTRAS)
    end = data.rfind(_WEB_URL)
    extras = data[cut + len(_EXTRAS) : end]
    # The extras' own text ends where the stored web_url (the row's, and last) begins; a
    # ``\u`` escape could be an older writer's ASCII-only text: those go the long way.
    tail = data[end + len(_WEB_URL) : -1]
    if cut < 0 or end < cut or tail != _quote(web_url) or "\\u" in extras:
        return _nested_parsed(_loads(data), kind)
    fast = _unescaped(data[:cut])
    if fast is not None:
        return f'{fast}, "type": {_quote(kind)}, "extras": {extras}'
    try:
        # The text up to the extras, closed, is the images and related links alone: a cut
        # inside them would leave a bracket open, which no JSON parses.
        head = _loads(data[:cut] + "}")
    except ValueError:
        return _nested_parsed(_loads(data), kind)
    if head.keys() != {"images", "related"}:
        return _nested_parsed(_loads(data), kind)
    return _nested_lists(head, kind) + f', "extras": {extras}'


#: Each shape of stored images and related links met (see ``_unescaped``): the record's text
#: around its strings, and its keys (their places in the split text, their text), or None
#: where it is no such shape. At most ``SHAPES`` of them: past that, a new one goes the long way.
_shapes: dict[tuple[str, ...], tuple[list[str], tuple[tuple[int, str], ...]] | None] = {}
SHAPES = 5000
#: In the text a shape's record is made from: a string (its number, as a mark) or a key.
_MARKED = re.compile('"(\ue000\\d+\ue001|images|related)"')


def _unescaped(head: str) -> str | None:
    """The images and related links of ``head`` (the stored data up to its extras), as
    ``_nested_lists`` writes them, when no string in it has an escape; else None.

    Without a backslash every ``"`` opens or closes a string, so splitting the text at them
    gives its strings, each already written as the encoder writes it (the stored data is that
    encoder's text), and between them its shape: brackets, numbers, nulls. The record puts
    the same strings in the same order, so it is the split text with the shape's pieces
    swapped for the record's (made once a shape, ``_shape``), joined again: no string is
    parsed or escaped again, where the parse and the escaper took a third of the command's
    instructions."""
    if "\\" in head:
        return None
    parts = head.split('"')
    shape = tuple(parts[0::2])
    known = _shapes.get(shape)
    if known is None:
        if shape in _shapes or len(_shapes) >= SHAPES:
            return None
        known = _shapes[shape] = _shape(parts)
        if known is None:
            return None
    pieces, keys = known
    for at, key in keys:
        if parts[at] != key:
            return None
    parts[0::2] = pieces
    text = '"'.join(parts)
    # ``_nested_lists`` writes an empty date as null (the shape cannot know it is empty).
    if _NO_DATE in text:
        text = text.replace(_NO_DATE, ', "published": null, ')
    return text


_NO_DATE = ', "published": "", '


def _shape(parts: list[str]) -> tuple[list[str], tuple[tuple[int, str], ...]] | None:
    """The record's pieces between the strings of one shape (see ``_unescaped``), and its
    keys: ``_nested_lists`` run on the text with each string that is no key a numbered mark,
    then split at the marks and keys, which must come in the order of the strings."""
    if len(parts) % 2 == 0:
        return None  # a quote left open: no JSON
    sample = list(parts)
    keys = []
    for at in range(1, len(parts), 2):
        if parts[at + 1].startswith(":"):
            keys.append((at, parts[at]))
        else:
            sample[at] = f"\ue000{at}\ue001"
    try:
        data = _loads('"'.join(sample) + "}")
    except ValueError:
        return None
    if not isinstance(data, dict) or data.keys() != {"images", "related"}:
        return None
    written = _nested_lists(data, "")
    split = _MARKED.split(written[: written.rindex(', "type": ')])
    if split[1::2] != sample[1::2]:
        return None
    return split[0::2], tuple(keys)


def _nested_lists(data: dict[str, Any], kind: str) -> str:
    """Images, related links and type, written piece by piece: the encoder joins what it
    writes for each value with ``", "`` and ``": "``, so this is the same text, without a
    dict a link to build and walk."""
    v = _value
    images = ", ".join(
        [f'{{"url": {v(u)}, "width": {v(w)}, "height": {v(h)}}}' for u, w, h in data["images"]]
    )
    related = ", ".join(
        [
            f'{{"title": {v(t)}, "url": {v(u)}, "excerpt": {v(e)}, "provider": {v(p)},'
            f' "domain": {v(d)}, "published": {v(pub or None)}, "key": {v(k)}}}'
            for t, u, e, p, d, pub, k in data["related"]
        ]
    )
    return f'"images": [{images}], "related": [{related}], "type": {_quote(kind)}'


def _nested_parsed(data: dict[str, Any], kind: str) -> str:
    """``_nested`` from the whole stored data, parsed (any text, however it was written)."""
    return _nested_lists(data, kind) + f', "extras": {_encode(data["extras"])}'


def _value(value: Any) -> str:
    """One JSON value as the encoder writes it (a string or an int without the encoder)."""
    if value.__class__ is str:
        return _quote(value)
    if value.__class__ is int:
        return str(value)
    return _encode(value)


def _array(text: str | None) -> list[Any]:
    """A ``json_group_array`` as a list (most are empty: no parse for those)."""
    return _loads(text) if text and text != "[]" else []


def _last_rowid(conn: sqlite3.Connection) -> int:
    """The highest article rowid: about how many articles there are, in one index seek."""
    return int(conn.execute("SELECT coalesce(max(rowid), 0) FROM articles").fetchone()[0])


def _stories_ready(conn: sqlite3.Connection) -> bool:
    row = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'story_index'"
    ).fetchone()
    return row is not None
