"""The feeds' store does per-feed work per feed, not per item (issue 18's benchmark: a first
fetch of 25,000 items, a no-change fetch of 500 feeds). Timings are in
``benchmarks/bench_fetch.py``; these check the shape of the work, which a slow path breaks."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from newsreader.feeds.opml import Subscription
from newsreader.feeds.parse import FeedItem
from newsreader.feeds.store import FeedState

FEED = "http://127.0.0.1:9/feed.xml"


def items(count: int, start: int = 0) -> list[FeedItem]:
    return [
        FeedItem(
            guid=f"item-{n}",
            title=f"Story {n}",
            link=f"http://127.0.0.1:9/story-{n}.html",
            published=datetime(2024, 1, 1, tzinfo=UTC),
            body=f"Body of story {n}.",
        )
        for n in range(start, start + count)
    ]


def queries(state: FeedState) -> list[str]:
    """The SELECTs the state's connection runs from now on (each row an ``executemany``
    writes is traced too: those are not counted)."""
    seen: list[str] = []
    state.conn.set_trace_callback(
        lambda sql: seen.append(sql) if sql.startswith("SELECT") else None
    )
    return seen


def test_storing_a_feed_asks_the_index_a_few_times_not_per_item(tmp_path: Path) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    state = FeedState(folder, tmp_path / "data")
    sub = Subscription(FEED, "Feed")
    seen = queries(state)
    counts = state.store(sub, "Feed", items(300))
    assert (counts.new, counts.updated, counts.unchanged) == (300, 0, 0)
    assert len(seen) < 5, seen[:20]
    seen.clear()
    # The same items again, 100 more, and one whose URL another feed brought first.
    other = Subscription("http://127.0.0.1:9/other.xml", "Other")
    state.store(other, "Other", items(1, 350))
    seen.clear()
    counts = state.store(sub, "Feed", items(401))
    assert (counts.new, counts.updated, counts.unchanged) == (100, 0, 301)
    assert len(seen) < 5, seen[:20]
    assert len(list((folder / "feeds").rglob("*.md"))) == 401
    state.close()


def test_the_fetch_state_does_not_wait_for_the_disk_at_every_feed(tmp_path: Path) -> None:
    """It is derived (rebuilt from the files if lost): a commit per feed need not be flushed
    to the disk, which made a no-change fetch of 500 feeds spend 2.7 of its 3.8 s in fsync."""
    state = FeedState(tmp_path / "news", tmp_path / "data")
    assert state.conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    state.close()
