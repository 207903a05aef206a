"""Opening the two SQLite files: schema versions, migrations, recovery and concurrency settings.

The cache is derived from the folder and may be thrown away and rebuilt at any time. The state is
the user's own (read, starred, saved searches, positions): it is never deleted, only moved aside
when it is damaged, with a loud warning.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
import urllib.parse
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

CACHE_VERSION = 8
STATE_VERSION = 1

#: The cache as version 1 created it; kept so that old caches migrate step by step.
CACHE_SCHEMA_V1 = """
CREATE TABLE IF NOT EXISTS files(
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    article_id TEXT,
    problem TEXT
);
CREATE INDEX IF NOT EXISTS files_article ON files(article_id);
CREATE TABLE IF NOT EXISTS articles(
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    path TEXT NOT NULL,
    title TEXT NOT NULL,
    kind TEXT NOT NULL,
    excerpt TEXT NOT NULL,
    body TEXT NOT NULL,
    published INTEGER,
    url TEXT NOT NULL,
    web_url TEXT NOT NULL,
    provider TEXT NOT NULL,
    domain TEXT NOT NULL,
    topics TEXT NOT NULL,
    type TEXT NOT NULL,
    data TEXT NOT NULL,
    words INTEGER NOT NULL,
    added INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS articles_published ON articles(published DESC, rowid DESC);
CREATE TABLE IF NOT EXISTS topics(article INTEGER NOT NULL, topic TEXT NOT NULL COLLATE NOCASE);
CREATE INDEX IF NOT EXISTS topics_topic ON topics(topic, article);
CREATE INDEX IF NOT EXISTS topics_article ON topics(article);
CREATE TABLE IF NOT EXISTS url_keys(key TEXT NOT NULL, article INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS url_keys_key ON url_keys(key);
CREATE INDEX IF NOT EXISTS url_keys_article ON url_keys(article);
CREATE TABLE IF NOT EXISTS links(
    article INTEGER NOT NULL, position INTEGER NOT NULL, key TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS links_key ON links(key);
CREATE INDEX IF NOT EXISTS links_article ON links(article);
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(
    title, excerpt, body, provider, topics,
    content='articles', content_rowid='rowid', tokenize='unicode61 remove_diacritics 2'
);
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);
"""

#: The current cache. The small columns of ``articles`` come first and the body and JSON data
#: last, so reading a row's date or title never walks a long body's overflow pages. The
#: ``published`` index covers ``id`` (the unread filter reads no row), and ``topics`` carries
#: the date so a topic's page comes straight off its index.
CACHE_SCHEMA_V3 = """
CREATE TABLE IF NOT EXISTS files(
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    article_id TEXT,
    problem TEXT
);
CREATE INDEX IF NOT EXISTS files_article ON files(article_id);
CREATE TABLE IF NOT EXISTS articles(
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    published INTEGER,
    added INTEGER NOT NULL,
    words INTEGER NOT NULL,
    title TEXT NOT NULL,
    provider TEXT NOT NULL,
    domain TEXT NOT NULL,
    kind TEXT NOT NULL,
    type TEXT NOT NULL,
    topics TEXT NOT NULL,
    url TEXT NOT NULL,
    web_url TEXT NOT NULL,
    path TEXT NOT NULL,
    excerpt TEXT NOT NULL,
    body TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS articles_published ON articles(published DESC, rowid DESC, id);
CREATE INDEX IF NOT EXISTS articles_provider ON articles(provider, domain, id);
CREATE TABLE IF NOT EXISTS topics(
    article INTEGER NOT NULL, topic TEXT NOT NULL COLLATE NOCASE, published INTEGER
);
CREATE INDEX IF NOT EXISTS topics_topic ON topics(topic, published DESC, article DESC);
CREATE INDEX IF NOT EXISTS topics_article ON topics(article);
CREATE TABLE IF NOT EXISTS url_keys(key TEXT NOT NULL, article INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS url_keys_key ON url_keys(key);
CREATE INDEX IF NOT EXISTS url_keys_article ON url_keys(article);
CREATE TABLE IF NOT EXISTS links(
    article INTEGER NOT NULL, position INTEGER NOT NULL, key TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS links_key ON links(key);
CREATE INDEX IF NOT EXISTS links_article ON links(article);
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(
    title, excerpt, body, provider, topics,
    content='articles', content_rowid='rowid', tokenize='unicode61 remove_diacritics 2'
);
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);
"""

#: The list's order with what the as-you-type filter reads (title, source, topics) and the
#: unread filter's id: filtering 100,000 articles then scans this index, a few MB, instead of
#: their rows, which a long body spreads over a page each (measured: 200-280 ms a keystroke).
QUICK_INDEX = (
    "CREATE INDEX IF NOT EXISTS articles_quick"
    " ON articles(published DESC, rowid DESC, id, title, provider, topics);"
)

#: Articles listed from their cheap metadata whose bodies are not cleaned yet (a two-phase
#: index, see ``library.bodies``): the second phase cleans them and empties this table.
PENDING_SCHEMA = "CREATE TABLE IF NOT EXISTS pending(article INTEGER PRIMARY KEY);"
#: Articles whose bodies hold a rough text only (searchable, and what stories read), still to be
#: cleaned fully by the last phase of a big index (``library.polish``).
ROUGH_SCHEMA = "CREATE TABLE IF NOT EXISTS rough(article INTEGER PRIMARY KEY);"
#: Articles whose rough bodies were cleaned fully (by a polishing batch, or by the reader on
#: demand) and whose stories still hold the vectors signed from the rough text: marked in the
#: transaction that stores the clean body, re-signed by the next polishing or sync
#: (``bodies.regroup_stories``), which empties it.
RESIGN_SCHEMA = "CREATE TABLE IF NOT EXISTS resign(article INTEGER PRIMARY KEY);"

#: The articles of an mbox file's messages after its first (which its ``files`` row names, as
#: any file's): ``part`` orders them (``library.mailboxes``).
MESSAGES_SCHEMA = """
CREATE TABLE IF NOT EXISTS messages(
    path TEXT NOT NULL, part INTEGER NOT NULL, article_id TEXT NOT NULL, PRIMARY KEY(path, part)
);
CREATE INDEX IF NOT EXISTS messages_article ON messages(article_id);
"""
#: Mail stored before each message of an mbox was an article: read again by the next sync (it
#: sees an mtime no file has), which lists every mbox's other messages and reads nothing else.
REREAD_MAIL = (
    "UPDATE files SET mtime_ns = -2"
    " WHERE article_id IN (SELECT id FROM articles WHERE kind = 'mail');"
)

#: Migrations from version N-1 to N. Each runs inside the same transaction as the version bump.
#: The cache is derived, so a change of layout may simply start it again: the next sync
#: re-reads the folder (the user's state is elsewhere and untouched).
CACHE_MIGRATIONS: dict[int, str] = {
    1: CACHE_SCHEMA_V1,
    2: "CREATE INDEX IF NOT EXISTS articles_provider ON articles(provider COLLATE NOCASE);",
    3: "DROP TABLE IF EXISTS fts; DROP TABLE IF EXISTS links; DROP TABLE IF EXISTS url_keys;"
    " DROP TABLE IF EXISTS topics; DROP TABLE IF EXISTS articles; DROP TABLE IF EXISTS files;"
    + CACHE_SCHEMA_V3,
    4: QUICK_INDEX,
    5: PENDING_SCHEMA,
    6: ROUGH_SCHEMA,
    7: RESIGN_SCHEMA,
    8: MESSAGES_SCHEMA + REREAD_MAIL,
}

STATE_SCHEMA = """
CREATE TABLE IF NOT EXISTS read(id TEXT PRIMARY KEY, at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS starred(id TEXT PRIMARY KEY, at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS saved_searches(
    name TEXT PRIMARY KEY, query TEXT NOT NULL, created INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS positions(
    folder TEXT PRIMARY KEY, article_id TEXT, topic TEXT, last_visit INTEGER NOT NULL
);
"""
STATE_MIGRATIONS: dict[int, str] = {1: STATE_SCHEMA}


class NewerSchema(Exception):
    """A database written by a newer newsreader: left untouched."""


@dataclass
class Opened:
    """What opening the databases found, for the UI and CLI to report."""

    warnings: list[str] = field(default_factory=list)
    in_memory: bool = False


#: Seconds a statement waits for another process's lock before it gives up (``busy_timeout``).
BUSY_TIMEOUT = 10.0


def busy_timeout() -> float:
    """Seconds to wait for a lock: :data:`BUSY_TIMEOUT`, or ``NEWSREADER_BUSY_TIMEOUT`` when it
    holds a number (tests lower it; a slow shared disk may want more)."""
    text = os.environ.get("NEWSREADER_BUSY_TIMEOUT", "")
    try:
        seconds = float(text)
    except ValueError:
        return BUSY_TIMEOUT
    return seconds if 0 <= seconds < 86400 else BUSY_TIMEOUT


def connect(path: str | Path, cache_mb: int = 16, *, wal: bool = True) -> sqlite3.Connection:
    """A connection in autocommit mode with WAL and a busy timeout, so two instances cooperate."""
    wait = busy_timeout()
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=wait)
    conn.execute(f"PRAGMA busy_timeout = {int(wait * 1000)}")
    if str(path) != ":memory:":
        if wal:
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        # More page cache than the default 2 MB for readers: lookups across a 100,000-article
        # cache otherwise go to the OS for most pages. (Measured: a writer gains nothing.)
        conn.execute(f"PRAGMA cache_size = -{cache_mb * 1024}")
    return conn


@contextlib.contextmanager
def write(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A ``BEGIN IMMEDIATE`` transaction: the writer takes the lock up front, never mid-way."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        # SQLite has already rolled back after some errors (a full disk, an I/O error); a
        # second ROLLBACK would then fail and hide the real error.
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


T = TypeVar("T")

#: Items per ``IN (…)`` list: well under SQLite's cap on a statement's parameters.
IN_CHUNK = 500


def in_chunks(items: Sequence[T], size: int = IN_CHUNK) -> Iterator[tuple[str, Sequence[T]]]:
    """``items`` a slice at a time, each with its ``?,?,…`` placeholders, for ``IN ({marks})``:
    a statement takes only so many parameters, so a long list is asked in pieces."""
    for start in range(0, len(items), size):
        chunk = items[start : start + size]
        yield ",".join("?" * len(chunk)), chunk


def migrate(conn: sqlite3.Connection, migrations: dict[int, str], target: int) -> None:
    """Bring the database to ``target`` in one transaction; refuse a newer one."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > target:
        raise NewerSchema(
            f"written by a newer newsreader (schema {version}, this one knows {target})"
        )
    if version == target:
        return
    with write(conn):
        for step in range(version + 1, target + 1):
            for statement in _statements(migrations[step]):
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {target}")


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip() and not s.strip().startswith("--")]


def move_aside(path: Path, why: str) -> Path:
    """Rename a damaged database (and its WAL files) out of the way; never delete it."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.{why}-{stamp}")
    n = 1
    while target.exists():
        target = path.with_name(f"{path.name}.{why}-{stamp}-{n}")
        n += 1
    os.replace(path, target)
    for suffix in ("-wal", "-shm"):
        side = Path(str(path) + suffix)
        if side.exists():
            with contextlib.suppress(OSError):
                os.replace(side, Path(str(target) + suffix))
    return target


def check(conn: sqlite3.Connection, path: Path | None = None, *, thorough: bool = False) -> None:
    """Checks that a file is a healthy SQLite database; raises sqlite3.DatabaseError if not.

    A full ``quick_check`` of the cache reads the whole file, which would cost a second at
    100,000 articles on every start, so for it this reads the schema, probes the tables and
    compares the header's page count with the file size (which catches truncation) instead.
    The state is small (a few MB at 100,000 articles) and the user's own: it gets the
    ``quick_check`` too (``thorough``), so damage inside its pages is found before it is used.
    """
    conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    if thorough:
        result = conn.execute("PRAGMA quick_check(1)").fetchone()[0]
        if result != "ok":
            raise sqlite3.DatabaseError(f"database disk image is malformed ({result})")
    if path is not None and path.exists() and not Path(str(path) + "-wal").exists():
        with open(path, "rb") as handle:
            header = handle.read(100)
        if len(header) == 100:
            page_size = int.from_bytes(header[16:18], "big")
            page_size = 65536 if page_size == 1 else page_size
            pages = int.from_bytes(header[28:32], "big")
            if pages and path.stat().st_size < page_size * pages:
                raise sqlite3.DatabaseError("database file is truncated")
    names = {n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    for name in ("articles", "files", "read", "starred"):
        if name in names:
            conn.execute(f"SELECT max(rowid) FROM {name}").fetchone()
    if "fts" in names:
        # builds the full-text table, which reads its structure record: a damaged one fails here
        conn.execute("SELECT rowid FROM fts WHERE fts MATCH 'newsreaderprobe' LIMIT 1").fetchall()


def is_locked(error: BaseException) -> bool:
    """Whether an error says another connection holds a lock: never damage, only a wait that
    ran out (SQLITE_BUSY or SQLITE_LOCKED, whatever their extended codes)."""
    if not isinstance(error, sqlite3.OperationalError):
        return False
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    text = str(error).lower()
    return "locked" in text or "busy" in text


def is_damage(error: BaseException) -> bool:
    """Whether an error met while using a database means the file itself is damaged."""
    if not isinstance(error, sqlite3.DatabaseError):
        return False
    text = str(error).lower()
    return not isinstance(error, sqlite3.OperationalError) or any(
        word in text for word in ("malformed", "not a database", "vtable constructor")
    )


def open_db(
    path: Path,
    migrations: dict[int, str],
    target: int,
    opened: Opened,
    *,
    label: str,
    precious: bool,
) -> sqlite3.Connection:
    """Open, check and migrate one database, recovering from damage as the brief requires.

    A damaged cache is moved aside and rebuilt; a damaged state is moved aside with a loud
    warning (``precious``). A newer schema is left untouched and an in-memory copy is used.
    An unwritable location falls back to memory, and so does a file another process keeps
    locked past the busy timeout: a lock is never damage, so the file is left as it is.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn: sqlite3.Connection | None = None
        try:
            # WAL is set only once the file is known to be sound and not newer than this
            # version: either is then left exactly as it was (setting WAL writes the header).
            conn = connect(path, wal=False)
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > target:
                raise NewerSchema(
                    f"written by a newer newsreader (schema {version}, this one knows {target})"
                )
            check(conn, path, thorough=precious)
            conn.execute("PRAGMA journal_mode = WAL")
            migrate(conn, migrations, target)
            return conn
        except NewerSchema as error:
            if conn is not None:
                conn.close()
            opened.warnings.append(
                f"The {label} {path} was {error}; it is left untouched and a temporary one is used."
            )
        except sqlite3.DatabaseError as error:
            if conn is not None:
                conn.close()
            if isinstance(error, sqlite3.OperationalError) and unwritable(error):
                raise
            if is_locked(error):
                opened.warnings.append(
                    f"The {label} {path} is locked by another process; changes this session"
                    " are kept in memory."
                )
                opened.in_memory = True
                return copy_to_memory(path, migrations, target)
            aside = move_aside(path, "corrupt")
            if precious:
                opened.warnings.append(
                    f"WARNING: your {label} {path} was damaged ({error}). It was moved to {aside} "
                    "(nothing was deleted) and a new one was started."
                )
            else:
                opened.warnings.append(
                    f"The {label} was damaged ({error}); it was moved aside to {aside}"
                    " and is rebuilt."
                )
            conn = connect(path)
            migrate(conn, migrations, target)
            return conn
    except (OSError, sqlite3.OperationalError) as error:
        opened.warnings.append(
            f"Cannot write the {label} at {path} ({error}); working from memory, "
            "changes will not be kept."
        )
        opened.in_memory = True
        return copy_to_memory(path, migrations, target)
    opened.in_memory = True
    conn = connect(":memory:")
    migrate(conn, migrations, target)
    return conn


def copy_to_memory(path: Path, migrations: dict[int, str], target: int) -> sqlite3.Connection:
    """An in-memory database holding what ``path`` holds, if it can be read at all, else empty.

    So a read-only data dir still shows the user's read marks and the cached articles.
    """
    conn = connect(":memory:")
    try:
        if path.is_file():
            uri = "file:" + urllib.parse.quote(str(path)) + "?mode=ro&immutable=1"
            source = sqlite3.connect(uri, uri=True)
            try:
                version = source.execute("PRAGMA user_version").fetchone()[0]
                if 0 < version <= target:
                    source.backup(conn)
            finally:
                source.close()
        migrate(conn, migrations, target)
    except (OSError, sqlite3.Error):
        conn.close()
        conn = connect(":memory:")
        migrate(conn, migrations, target)
    return conn


def unwritable(error: sqlite3.OperationalError) -> bool:
    text = str(error).lower()
    return any(
        word in text
        for word in ("readonly", "read-only", "unable to open", "disk is full", "disk i/o")
    )
