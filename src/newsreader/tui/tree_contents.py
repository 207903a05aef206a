"""What the topic tree shows, read off the UI thread: totals, stories, series, feeds, topics,
sources and saved searches, each with its counts.

The feeds come from the folder's subscriptions (``.feeds.opml``), their counts from the files
under each feed's folder (one grouped query, ``Library.folder_counts``) and their last errors
from the fetch state beside the cache, read only. The feeds modules are imported when there is
a subscription file: most folders have none.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from newsreader import paths
from newsreader.config import Config
from newsreader.ingest.sanitize import clean_line
from newsreader.library import counting
from newsreader.library.library import Library
from newsreader.model import View
from newsreader.tui.widgets.topic_tree import FeedCount, SavedCount, TreeContents, TreeData

#: Stories and series listed in the tree at most.
MAX_GROUPS = 200


def tree_contents(lib: Library, data_dir: Path) -> TreeContents:
    """Everything the tree shows; ``data_dir`` holds the feeds' fetch state."""
    stories = [
        (f"{s.size} · {s.title}", TreeData(View(story=s.id), f"Story: {s.title}"))
        for s in lib.stories(limit=MAX_GROUPS)
    ]
    count = lib.story_count()
    title = f"Stories, {count:,} in all" if count > len(stories) else "Stories"
    series = [
        (f"{s.title}  {s.unread}/{s.size}", TreeData(View(series=s.id), f"Series: {s.title}"))
        for s in lib.series()[:MAX_GROUPS]
    ]
    return TreeContents(
        lib.totals(),
        lib.topics(),
        lib.sources(),
        saved_counts(lib),
        [(title, stories), ("Series", series)],
        feed_counts(lib, data_dir),
    )


def feeds_data_dir(lib: Library, config: Config) -> Path:
    """Where the fetch state lives: beside the library's cache (the configured data dir when
    the cache is in memory)."""
    cache = lib.cache_path
    return cache.parent.parent if cache else paths.data_dir(None, config.data_dir)


def saved_counts(lib: Library) -> list[SavedCount]:
    """Each saved search with its total and unread counts (``counting.saved_counts``)."""
    return [SavedCount(*found) for found in counting.saved_counts(lib)]


def feed_counts(lib: Library, data_dir: Path) -> list[FeedCount]:
    """Each subscribed feed with its counts and last error, in the file's order; a feed never
    fetched counts 0. An unreadable subscriptions file is one entry that says why, listing
    every fetched item."""
    folder = Path(lib.folder)
    from newsreader.feeds.opml import subscriptions_path

    if not subscriptions_path(folder).exists():
        return []
    from newsreader.feeds.opml import load_subscriptions
    from newsreader.feeds.parse import FeedError
    from newsreader.feeds.store import ITEMS_DIR, feed_folder

    items = folder / ITEMS_DIR
    counts = lib.folder_counts(str(items))
    try:
        subs = load_subscriptions(folder)
    except FeedError as error:
        total = sum(t for t, _ in counts.values())
        unread = sum(u for _, u in counts.values())
        return [FeedCount("Subscriptions", "", str(items), total, unread, str(error))]
    errors = last_errors(folder, data_dir)
    found = []
    for sub in subs:
        where = str(feed_folder(folder, sub.url))
        total, unread = counts.get(where, (0, 0))
        title = clean_line(sub.title, 120) or clean_line(sub.url, 120)
        found.append(FeedCount(title, sub.url, where, total, unread, errors.get(sub.url, "")))
    return found


def last_errors(folder: Path, data_dir: Path) -> dict[str, str]:
    """Each feed's last fetch error, from the fetch state (``feeds.store.FeedState``), opened
    read-only: a tree refresh never writes it, nor waits on a fetch that does."""
    path = fetch_state_path(folder, data_dir)
    if not path.exists():
        return {}
    try:
        conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=1)
        try:
            found = conn.execute("SELECT url, last_error FROM feeds WHERE last_error != ''")
            return {url: clean_line(error or "", 500) for url, error in found}
        finally:
            conn.close()
    except sqlite3.Error:
        return {}  # derived state, damaged or being created: the tree goes on without it


def fetch_state_path(folder: Path, data_dir: Path) -> Path:
    """The file ``feeds.store.FeedState`` keeps a folder's fetch state in."""
    return Path(data_dir) / "cache" / f"{paths.library_key(folder)}.feeds.sqlite"
