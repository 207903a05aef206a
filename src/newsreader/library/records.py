"""Whole articles for many rows at once, as JSON-ready dicts (``list --json``, ``search --json``).

One statement reads them all: the rowids travel as one JSON array (``json_each``), and each
side field (the other files, the local copies of related links, the story, similar articles,
inferred topics) is a subquery of the row, run by SQLite on its indexes. So the number of
statements is the same for 5 articles as for 100,000, where building each
:class:`~newsreader.model.Article` and asking its links, story and neighbours in turn cost about
12 statements an article (244,000 at 20,000 articles) and a deep copy of each; and the rows
stream in display order, so the first line is out before the last row is read.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any

from newsreader.library import views
from newsreader.library.listing import dt

#: How many similar articles each record names (as ``Library.similar_ids``).
SIMILAR = 5

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
_COLUMNS = (
    "a.rowid, a.id, a.path, a.title, a.kind, a.excerpt, a.published, a.url, a.web_url,"
    f" a.provider, a.domain, a.topics, a.type, a.data, {views.FLAGS}, ({_PATHS}), ({_LOCAL})"
)
#: CROSS JOIN keeps json_each the outer loop: rows come in the given order, unsorted, and
#: stream (each side field is a subquery of the row, not a sort over all of them).
_FROM = " FROM json_each(?) j CROSS JOIN articles a ON a.rowid = j.value"
_STORY_COLUMNS = f", ({_STORY}), ({_SIMILAR}), ({_INFERRED})"


def records(
    conn: sqlite3.Connection, rowids: Sequence[int], snippets: dict[int, str] | None = None
) -> Iterator[dict[str, Any]]:
    """One dict per rowid, in the given order, with the keys and values of
    ``Article.to_json()`` (paths as stored, ``url`` the web URL where there is no other) plus
    ``read``, ``starred``, ``related_local``, ``story``, ``similar``, ``inferred_topics`` and,
    where ``snippets`` has one, ``snippet``."""
    if not rowids:
        return
    ready = _stories_ready(conn)
    sql = f"SELECT {_COLUMNS}{_STORY_COLUMNS if ready else ''}{_FROM}"
    snippets = snippets or {}
    loads = json.loads
    for r in conn.execute(sql, (json.dumps(list(rowids)),)):
        rowid, path = r[0], r[2]
        data = loads(r[13])
        published = dt(r[6])
        record: dict[str, Any] = {
            "id": r[1],
            "path": path,
            "title": r[3],
            "kind": r[4],
            "excerpt": r[5],
            "published": published.isoformat() if published else None,
            "url": r[7] or r[8],
            "web_url": r[8],
            "provider": r[9],
            "domain": r[10],
            "topics": [t for t in r[11].split("\n") if t],
            "images": [{"url": u, "width": w, "height": h} for u, w, h in data["images"]],
            "related": [
                {
                    "title": t,
                    "url": u,
                    "excerpt": e,
                    "provider": p,
                    "domain": d,
                    "published": pub or None,
                    "key": k,
                }
                for t, u, e, p, d, pub, k in data["related"]
            ],
            "type": r[12],
            "extras": data["extras"],
            "paths": [path, *_array(r[16], loads)],
            "read": bool(r[14]),
            "starred": bool(r[15]),
            "related_local": _array(r[17], loads),
            "story": r[18] if ready else None,
            "similar": _array(r[19], loads) if ready else [],
            "inferred_topics": _array(r[20], loads) if ready else [],
        }
        if snippets.get(rowid):
            record["snippet"] = snippets[rowid]
        yield record


def _array(text: str | None, loads: Any) -> list[Any]:
    """A ``json_group_array`` as a list (most are empty: no parse for those)."""
    return loads(text) if text and text != "[]" else []


def _stories_ready(conn: sqlite3.Connection) -> bool:
    row = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'story_index'"
    ).fetchone()
    return row is not None
