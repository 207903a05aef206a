"""Feed items -> article files in the folder, and the fetch state kept beside the cache.

Each item becomes one front-matter file in ``DIR/feeds/<feed>/``, with the seeds' keys plus
``feedUrl`` and ``guid``, so ingest, search, stories and state treat it as any article. The
fetch state (validators, errors, retry times, which guid is in which file) is derived: it
lives in the data dir's ``cache/`` and, if it is lost, the item index is read back from the
files themselves.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import sqlite3
import time
from collections.abc import Iterator
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path

from newsreader import paths
from newsreader.feeds.opml import Subscription, atomic_write
from newsreader.feeds.parse import FeedItem
from newsreader.ingest.decode import MAX_BYTES
from newsreader.ingest.load import load_bytes
from newsreader.ingest.sanitize import clean_line
from newsreader.ingest.urls import canonical_url, domain_of
from newsreader.library.db import in_chunks
from newsreader.model import Article

ITEMS_DIR = "feeds"
#: ``json.dumps(value, ensure_ascii=False)`` builds an encoder at each call: nine an item.
_JSON = json.JSONEncoder(ensure_ascii=False).encode
_SLUG = re.compile(r"[^a-z0-9]+")
#: The front-matter lines the index is read back from (values are written as JSON strings).
_INDEX_LINE = re.compile(r'^(feedUrl|guid|originalUrl): (".*")$', re.M)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feeds(
    url TEXT PRIMARY KEY,
    etag TEXT,
    last_modified TEXT,
    last_attempt INTEGER,
    last_success INTEGER,
    last_error TEXT,
    next_retry INTEGER
);
CREATE TABLE IF NOT EXISTS items(
    feed TEXT NOT NULL,
    guid TEXT NOT NULL,
    url_key TEXT NOT NULL,
    path TEXT NOT NULL,
    article_id TEXT NOT NULL,
    PRIMARY KEY(feed, guid)
);
CREATE INDEX IF NOT EXISTS items_key ON items(url_key);
"""


@dataclass(frozen=True, slots=True)
class FeedRecord:
    """A feed's fetch state."""

    url: str
    etag: str = ""
    last_modified: str = ""
    last_attempt: int | None = None
    last_success: int | None = None
    last_error: str = ""
    next_retry: int | None = None


@dataclass
class StoreCounts:
    """What storing one feed's items did."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0


class FeedState:
    """The fetch state of one folder's feeds, in ``DATA/cache/<folder-key>.feeds.sqlite``.

    Used from one thread at a time (the fetch's main loop).
    """

    def __init__(self, folder: str | os.PathLike[str], data_dir: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)
        self.path = Path(data_dir) / "cache" / f"{paths.library_key(folder)}.feeds.sqlite"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.conn = self._connect()
        except sqlite3.DatabaseError:
            # Derived data: a damaged file is set aside and started again.
            os.replace(self.path, self.path.with_suffix(f".corrupt-{int(time.time())}"))
            self.conn = self._connect()
        empty = self.conn.execute("SELECT count(*) FROM items").fetchone()[0] == 0
        if empty and (self.folder / ITEMS_DIR).is_dir():
            self._reindex()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        # Derived data, rebuilt from the files if lost: a commit need not wait for the disk (one
        # a feed made a no-change fetch of 500 feeds spend 2.7 of its 3.8 s in fsync).
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.executescript(_SCHEMA)
        return conn

    def close(self) -> None:
        """Close the database."""
        self.conn.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def record(self, url: str) -> FeedRecord:
        """The state of a feed (empty for one never fetched)."""
        row = self.conn.execute(
            "SELECT url, etag, last_modified, last_attempt, last_success, last_error, next_retry"
            " FROM feeds WHERE url = ?",
            (url,),
        ).fetchone()
        if row is None:
            return FeedRecord(url)
        return FeedRecord(row[0], row[1] or "", row[2] or "", row[3], row[4], row[5] or "", row[6])

    def save_record(self, record: FeedRecord) -> None:
        """Store a feed's state."""
        self.conn.execute(
            "INSERT OR REPLACE INTO feeds VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                record.url,
                record.etag,
                record.last_modified,
                record.last_attempt,
                record.last_success,
                record.last_error,
                record.next_retry,
            ),
        )

    def rename_feed(self, old: str, new: str) -> None:
        """A permanent redirect: the items and state of ``old`` belong to ``new`` now."""
        with self.transaction():
            self.conn.execute("DELETE FROM feeds WHERE url = ?", (new,))
            self.conn.execute("UPDATE feeds SET url = ? WHERE url = ?", (new, old))
            self.conn.execute("UPDATE OR IGNORE items SET feed = ? WHERE feed = ?", (new, old))

    def forget_feed(self, url: str) -> None:
        """Drop a feed's fetch state (its files stay, and so does the index of them)."""
        self.conn.execute("DELETE FROM feeds WHERE url = ?", (url,))

    def items_of(self, feed: str) -> list[tuple[str, str]]:
        """(path relative to the folder, article id) of each file written for a feed."""
        return list(self.conn.execute("SELECT path, article_id FROM items WHERE feed = ?", (feed,)))

    def store(
        self,
        sub: Subscription,
        provider: str,
        items: list[FeedItem],
        writer: Executor | None = None,
    ) -> StoreCounts:
        """Write a feed's items as files: new ones, and known ones whose content changed.

        An item is known by its guid in this feed, or by its canonical URL in any feed; an
        item another feed already brought is not written twice. A file the user deleted is
        not brought back. ``writer`` writes the files in threads (creating a file costs about a
        millisecond here, most of it waiting on the file system).
        """
        counts = StoreCounts()
        writes: list[tuple[Path, bytes]] = []
        folder = feed_folder(self.folder, sub.url)
        prefix = folder.relative_to(self.folder)
        keyed = [(item, canonical_url(item.link)) for item in items]
        with self.transaction():
            # What the index knows of these items, in a few queries rather than two an item.
            by_guid: dict[str, str] = dict(
                self.conn.execute("SELECT guid, path FROM items WHERE feed = ?", (sub.url,))
            )
            by_key: dict[str, tuple[str, str]] = {}
            for marks, chunk in in_chunks(sorted({key for _, key in keyed if key})):
                for key, feed, rel in self.conn.execute(
                    f"SELECT url_key, feed, path FROM items WHERE url_key IN ({marks})", chunk
                ):
                    by_key.setdefault(key, (feed, rel))
            inserts: list[tuple[str, str, str, str, str]] = []
            renamed: list[tuple[str, str]] = []
            for item, key in keyed:
                known = by_guid.get(item.guid)
                if known is None and key in by_key:
                    feed, known = by_key[key]
                    if feed != sub.url:
                        counts.unchanged += 1
                        continue
                text = render_item(item, sub, provider)
                if known is None:
                    path = _new_path(folder, item)
                    writes.append((path, text))
                    rel = str(prefix / path.name)
                    inserts.append((sub.url, item.guid, key, rel, article_id(key, text, rel)))
                    by_guid[item.guid] = rel
                    if key:
                        by_key.setdefault(key, (sub.url, rel))
                    counts.new += 1
                elif sub.full or not _differs(self.folder / known, text):
                    # --full: the file holds the page, not the feed's summary; keep it.
                    counts.unchanged += 1
                else:
                    writes.append((self.folder / known, text))
                    if not key:  # its id is a hash of its text, which changed
                        renamed.append((article_id(key, text, known), known))
                    counts.updated += 1
            self.conn.executemany("INSERT OR REPLACE INTO items VALUES (?, ?, ?, ?, ?)", inserts)
            self.conn.executemany("UPDATE items SET article_id = ? WHERE path = ?", renamed)
            folder.mkdir(parents=True, exist_ok=True)
            if writer is None:
                for path, text in writes:
                    atomic_write(path, text)
            else:
                list(writer.map(lambda job: atomic_write(*job), writes))
        return counts

    def known_guids(self, feed: str) -> frozenset[str]:
        """The guids of a feed's items stored before."""
        rows = self.conn.execute("SELECT guid FROM items WHERE feed = ?", (feed,))
        return frozenset(r[0] for r in rows)

    def known(self, feed: str, item: FeedItem) -> bool:
        """Whether this item (by guid, or by canonical URL) was stored before."""
        if self.conn.execute(
            "SELECT 1 FROM items WHERE feed = ? AND guid = ?", (feed, item.guid)
        ).fetchone():
            return True
        key = canonical_url(item.link)
        return bool(
            key and self.conn.execute("SELECT 1 FROM items WHERE url_key = ?", (key,)).fetchone()
        )

    def _reindex(self) -> None:
        """Rebuild the item index from the files (the state was deleted or is new)."""
        rows = []
        for path in sorted((self.folder / ITEMS_DIR).rglob("*.md")):
            try:
                with open(path, "rb") as handle:
                    data = handle.read(MAX_BYTES + 1)
            except OSError:
                continue
            head = data[:16_384].decode("utf-8", "replace")
            end = head.find("\n---", 3)
            found = {}
            for name, value in _INDEX_LINE.findall(head[:end] if end > 0 else head):
                with contextlib.suppress(ValueError):
                    found[name] = json.loads(value)
            if "feedUrl" in found and "guid" in found:
                key = canonical_url(found.get("originalUrl", ""))
                rel = str(path.relative_to(self.folder))
                rows.append((found["feedUrl"], found["guid"], key, rel, article_id(key, data, rel)))
        with self.transaction():
            self.conn.executemany("INSERT OR IGNORE INTO items VALUES (?, ?, ?, ?, ?)", rows)


def article_id(url_key: str, text: bytes, path: str) -> str:
    """The id ingest gives the article in ``text``: from its canonical URL when it has one
    (cheap; tests/test_feeds_store.py checks it against the library), else from its text."""
    if url_key:
        return hashlib.blake2b(f"url:{url_key}".encode(), digest_size=8).hexdigest()
    loaded = load_bytes(text, path)
    return loaded.id if isinstance(loaded, Article) else ""


def feed_folder(folder: Path, url: str) -> Path:
    """``DIR/feeds/<host-path>-<hash>``: readable, and one per feed URL."""
    name = slug(domain_of(url) + " " + url.split("//", 1)[-1].split("/", 1)[-1], 50)
    digest = hashlib.sha256(url.encode()).hexdigest()[:8]
    return folder / ITEMS_DIR / f"{name or 'feed'}-{digest}"


def _new_path(folder: Path, item: FeedItem) -> Path:
    date = item.published.strftime("%Y-%m-%d-") if item.published else ""
    digest = hashlib.sha256(item.guid.encode()).hexdigest()[:10]
    return folder / f"{date}{slug(item.title, 60) or 'item'}-{digest}.md"


def slug(text: str, limit: int) -> str:
    """A file-name-safe lower-case form of ``text``."""
    return _SLUG.sub("-", text.lower()).strip("-")[:limit].strip("-")


def _differs(path: Path, text: bytes) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(len(text) + 1) != text
    except FileNotFoundError:
        return False  # deleted by the user: leave it deleted
    except OSError:
        return True


def render_item(item: FeedItem, sub: Subscription, provider: str) -> bytes:
    """The item as a front-matter article file: the seeds' keys, then the body as given.

    Every value is written as a JSON string, which is a YAML double-quoted scalar: nothing in
    a title can end the front matter or open a YAML tag. The same item renders to the same
    bytes, so an unchanged item is never rewritten.
    """
    lines = ["---"]

    def put(key: str, value: str, indent: str = "") -> None:
        if value:
            lines.append(f"{indent}{key}: {_JSON(value)}")

    put("title", item.title)
    put("excerpt", item.excerpt)
    if item.published:
        put("publishedDateTime", item.published.strftime("%Y-%m-%dT%H:%M:%SZ"))
    put("originalUrl", item.link)
    put("webUrl", item.link)
    lines.append('type: "article"')
    domain = domain_of(item.link or sub.site_url or sub.url)
    lines.append("provider:")
    put("name", clean_line(provider, 120) or domain, "  ")
    put("domain", domain, "  ")
    topics = list(dict.fromkeys([*sub.topics, *item.topics]))
    if topics:
        lines.append("topics:")
        lines += [f"  - {_JSON(t)}" for t in topics]
    if item.images:
        lines.append("images:")
        lines += [f"  - url: {json.dumps(u)}" for u in item.images]
    put("feedUrl", sub.url)
    put("guid", item.guid)
    lines.append("---")
    lines.append("")
    lines.append(item.body)
    return ("\n".join(lines).rstrip("\n") + "\n").encode("utf-8")
