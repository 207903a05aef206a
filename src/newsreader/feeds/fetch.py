"""Fetch every feed of a folder, write the new items, sync the library: the functions the CLI
and the TUI call (the TUI from a worker thread; none of them touches Textual).

- :func:`fetch_all` fetches all feeds and returns a :class:`FetchReport`;
- :func:`subscribe` adds a feed (or the feed a web page announces);
- :func:`save_page` saves one web page as an article file ("read it later");
- :func:`feed_rows` lists the feeds with their counts and last error.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from concurrent.futures import (
    Executor,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    as_completed,
)
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from newsreader.feeds.http import IN_ALL, MAX_PAGE_BYTES, Fetcher, FetchError, Response
from newsreader.feeds.opml import Subscription, atomic_write, load_subscriptions, save_subscriptions
from newsreader.feeds.parse import FeedError, FeedItem, ParsedFeed, feed_links, parse_feed
from newsreader.feeds.store import FeedRecord, FeedState, StoreCounts, slug
from newsreader.ingest.decode import decode
from newsreader.ingest.load import load_bytes
from newsreader.ingest.sanitize import clean_line
from newsreader.ingest.urls import canonical_url
from newsreader.model import Article

#: With this many feeds or more, feeds are parsed in a process pool: feedparser takes about
#: 1 ms an item in pure Python, and threads would share one core.
POOL_FEEDS = 16
#: Threads that write item files: creating a file is mostly waiting on the file system.
WRITERS = 4
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
SAVED_DIR = "saved"

Progress = Callable[[int, int, "FeedResult"], None]


@dataclass
class FeedResult:
    """What fetching one feed did."""

    url: str
    title: str
    #: ``updated`` (200, stored), ``not modified`` (304), ``waiting`` (Retry-After not yet
    #: passed), or ``failed``.
    status: str
    counts: StoreCounts = field(default_factory=StoreCounts)
    error: str = ""
    warning: str = ""
    #: The feed's new address after a permanent redirect.
    moved_to: str = ""

    def line(self) -> str:
        """One line for the command line."""
        name = self.title or self.url
        if self.status == "failed":
            return f"{name}: failed: {self.error}"
        if self.status == "waiting":
            return f"{name}: {self.error}"
        c = self.counts
        text = f"{name}: {c.new} new, {c.updated} updated, {c.unchanged} unchanged"
        if self.status == "not modified":
            text = f"{name}: not modified"
        if self.moved_to:
            text += f" (moved permanently to {self.moved_to}; subscription updated)"
        return text + (f" ({self.warning})" if self.warning else "")


@dataclass
class FetchReport:
    """A whole fetch: one result per feed, and the library sync's summary."""

    feeds: list[FeedResult] = field(default_factory=list)
    sync_summary: str = ""
    seconds: float = 0.0

    @property
    def failed(self) -> list[FeedResult]:
        """The feeds that failed."""
        return [f for f in self.feeds if f.status == "failed"]

    def totals(self) -> StoreCounts:
        """New, updated and unchanged items over all feeds."""
        total = StoreCounts()
        for feed in self.feeds:
            total.new += feed.counts.new
            total.updated += feed.counts.updated
            total.unchanged += feed.counts.unchanged
        return total

    def summary(self) -> str:
        """The total line."""
        t = self.totals()
        return (
            f"{len(self.feeds)} feeds, {len(self.failed)} failed: {t.new} new, {t.updated}"
            f" updated, {t.unchanged} unchanged items in {self.seconds:.1f} s"
        )


@dataclass
class FeedStatus:
    """A row of the feed list: a subscription with its counts and fetch state."""

    url: str
    title: str
    topics: tuple[str, ...]
    articles: int
    unread: int
    last_fetched: int | None
    last_error: str
    next_retry: int | None


def fetch_all(
    folder: str | os.PathLike[str],
    library: Any,
    data_dir: str | os.PathLike[str],
    *,
    progress: Progress | None = None,
    fetcher: Fetcher | None = None,
    now: float | None = None,
) -> FetchReport:
    """Fetch every subscription of ``folder``, write new and changed items, then sync
    ``library`` (a :class:`~newsreader.library.library.Library`, or None to skip the sync).

    One feed's failure never stops the others; their items are written first either way.
    """
    started = time.monotonic()
    now = time.time() if now is None else now
    folder = Path(folder)
    subs = load_subscriptions(folder)
    state = FeedState(folder, data_dir)
    report = FetchReport()
    own = fetcher is None
    http = fetcher or Fetcher()
    pool: Executor | None = _parse_pool() if len(subs) >= POOL_FEEDS else None
    moved: dict[str, str] = {}
    try:
        with (
            ThreadPoolExecutor(IN_ALL, thread_name_prefix="fetch") as threads,
            ThreadPoolExecutor(WRITERS, thread_name_prefix="write") as writer,
        ):
            futures: dict[Future[_Fetched], Subscription] = {}
            for sub in subs:
                record = state.record(sub.url)
                if record.next_retry and record.next_retry > now:
                    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(record.next_retry))
                    result = FeedResult(
                        sub.url, sub.title, "waiting", error=f"waiting: retry after {when}"
                    )
                    report.feeds.append(result)
                    continue
                known = state.known_guids(sub.url) if sub.full else frozenset()
                futures[threads.submit(_fetch_one, http, pool, sub, record, known)] = sub
            total = len(subs)
            for done, result in enumerate(report.feeds, 1):
                if progress:
                    progress(done, total, result)
            for future in as_completed(futures):
                sub = futures[future]
                result = _finish(state, sub, future.result(), int(now), writer)
                if result.moved_to:
                    moved[sub.url] = result.moved_to
                report.feeds.append(result)
                if progress:
                    progress(len(report.feeds), total, result)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
        if own:
            http.close()
        if moved:
            _apply_moves(folder, state, moved)
        state.close()
    if library is not None and any(f.counts.new or f.counts.updated for f in report.feeds):
        report.sync_summary = library.sync().summary()
    report.seconds = time.monotonic() - started
    return report


@dataclass
class _Fetched:
    """A worker's result: the response and parsed feed, or the error."""

    response: Response | None = None
    parsed: ParsedFeed | None = None
    error: str = ""
    retry_at: int | None = None


def _fetch_one(
    http: Fetcher,
    pool: Executor | None,
    sub: Subscription,
    record: FeedRecord,
    known: frozenset[str],
) -> _Fetched:
    """In a worker thread: fetch and parse one feed (and, for --full, its new items' pages)."""
    try:
        response = http.get(sub.url, etag=record.etag, last_modified=record.last_modified)
        if response.status == 304:
            return _Fetched(response)
        if pool is not None:
            parsed = pool.submit(parse_feed, response.body, response.url, response.content_type)
            feed = parsed.result()
        else:
            feed = parse_feed(response.body, response.url, response.content_type)
        if sub.full:
            feed = replace(
                feed, items=[_full(http, i) if i.guid not in known else i for i in feed.items]
            )
        return _Fetched(response, feed)
    except FetchError as error:
        return _Fetched(error=str(error), retry_at=error.retry_at)
    except FeedError as error:
        return _Fetched(error=str(error))
    except Exception as error:  # noqa: BLE001 - one feed's surprise must not stop the others
        return _Fetched(error=f"{type(error).__name__}: {clean_line(str(error), 160)}")


def _full(http: Fetcher, item: FeedItem) -> FeedItem:
    """The item with its page's extracted article as the body; as it was if that fails."""
    if not item.link:
        return item
    try:
        article = extract_page(http.get(item.link, limit=MAX_PAGE_BYTES, accept=PAGE_ACCEPT))
    except (FetchError, FeedError):
        return item
    return replace(item, body=article.body or item.body)


def _finish(
    state: FeedState, sub: Subscription, fetched: _Fetched, now: int, writer: Executor
) -> FeedResult:
    """In the main thread: store the items and the feed's state."""
    record = state.record(sub.url)
    title = sub.title
    if fetched.response is None:
        state.save_record(
            replace(record, last_attempt=now, last_error=fetched.error, next_retry=fetched.retry_at)
        )
        return FeedResult(sub.url, title, "failed", error=fetched.error)
    response = fetched.response
    record = replace(record, last_attempt=now, last_success=now, last_error="", next_retry=None)
    if response.status == 304:
        state.save_record(record)
        return FeedResult(sub.url, title, "not modified", moved_to=response.moved_to)
    feed = fetched.parsed
    assert feed is not None
    title = title or feed.title
    counts = state.store(sub, title, feed.items, writer)
    state.save_record(replace(record, etag=response.etag, last_modified=response.last_modified))
    return FeedResult(
        sub.url, title, "updated", counts, warning=feed.warning, moved_to=response.moved_to
    )


def _apply_moves(folder: Path, state: FeedState, moved: dict[str, str]) -> None:
    """Permanent redirects: the subscription (and its state) takes the new address."""
    subs = load_subscriptions(folder)
    taken = {s.url for s in subs}
    updated = []
    for sub in subs:
        new = moved.get(sub.url)
        if new and new not in taken:
            state.rename_feed(sub.url, new)
            sub = replace(sub, url=new)
        updated.append(sub)
    save_subscriptions(folder, updated)


def _parse_pool() -> Executor:
    from newsreader.library.parsing import pool_context
    from newsreader.library.pools import watch_parent

    return ProcessPoolExecutor(
        max_workers=min(2, os.cpu_count() or 1),
        mp_context=pool_context(),
        initializer=watch_parent,
        initargs=(os.getpid(),),
    )


# -- subscribing ----------------------------------------------------------------------------------


def subscribe(
    folder: str | os.PathLike[str],
    url: str,
    *,
    title: str = "",
    full: bool = False,
    fetcher: Fetcher | None = None,
) -> Subscription:
    """Subscribe ``folder`` to the feed at ``url``, or to the feed a web page there announces.

    Raises FetchError or FeedError (with a one-line message) when there is no feed to be had.
    """
    own = fetcher is None
    http = fetcher or Fetcher()
    try:
        feed_url, feed = discover(http, url)
    finally:
        if own:
            http.close()
    subs = load_subscriptions(folder)
    if any(s.url == feed_url for s in subs):
        raise FeedError(f"already subscribed: {feed_url}")
    sub = Subscription(feed_url, clean_line(title, 120) or feed.title, (), full, feed.site_url)
    save_subscriptions(folder, [*subs, sub])
    return sub


def discover(http: Fetcher, url: str) -> tuple[str, ParsedFeed]:
    """(feed URL, parsed feed) for a feed URL, or for a page that links to its feed."""
    response = http.get(url)
    address = response.moved_to or url
    try:
        return address, parse_feed(response.body, response.url, response.content_type)
    except FeedError as error:
        links = feed_links(decode(response.body[:500_000]), response.url)
        if not links:
            raise FeedError(f"no feed at {url}, and the page announces none ({error})") from None
    for link in links[:5]:
        try:
            found = http.get(link)
            return found.moved_to or link, parse_feed(found.body, found.url, found.content_type)
        except (FetchError, FeedError):
            continue
    raise FeedError(f"the feeds {url} announces could not be read: {', '.join(links[:5])}")


def unsubscribe(folder: str | os.PathLike[str], url: str) -> Subscription:
    """Remove a subscription (by its URL as listed); its saved articles stay."""
    subs = load_subscriptions(folder)
    wanted = {url, canonical_url(url)}
    kept = [s for s in subs if s.url not in wanted and canonical_url(s.url) not in wanted]
    if len(kept) == len(subs):
        raise FeedError(f"not subscribed: {clean_line(url, 200)}")
    save_subscriptions(folder, kept)
    return next(s for s in subs if s not in kept)


def feed_rows(
    folder: str | os.PathLike[str], library: Any, data_dir: str | os.PathLike[str]
) -> list[FeedStatus]:
    """Each subscription with its article and unread counts and its last fetch."""
    folder = Path(folder)
    state = FeedState(folder, data_dir)
    try:
        rows = []
        for sub in load_subscriptions(folder):
            record = state.record(sub.url)
            items = [(p, i) for p, i in state.items_of(sub.url) if (folder / p).exists()]
            unread = sum(1 for _, i in items if library is None or not library.is_read(i))
            rows.append(
                FeedStatus(
                    sub.url,
                    sub.title,
                    sub.topics,
                    len(items),
                    unread,
                    record.last_success,
                    record.last_error,
                    record.next_retry,
                )
            )
        return rows
    finally:
        state.close()


# -- pages ----------------------------------------------------------------------------------------


def extract_page(response: Response) -> Article:
    """The article in a fetched web page, cleaned by ingest; FeedError if there is none."""
    loaded = load_bytes(response.body, response.url)
    if not isinstance(loaded, Article):
        raise FeedError(f"no article in the page: {loaded.reason}")
    return loaded


def save_page(folder: str | os.PathLike[str], url: str, *, fetcher: Fetcher | None = None) -> Path:
    """Fetch one web page, extract its article and save it in ``DIR/saved/`` as an article
    file. The same page saved again replaces its file, so its id and state stay."""
    from newsreader.feeds.store import render_item

    own = fetcher is None
    http = fetcher or Fetcher()
    try:
        response = http.get(url, limit=MAX_PAGE_BYTES, accept=PAGE_ACCEPT)
    finally:
        if own:
            http.close()
    article = extract_page(response)
    link = article.url or response.url
    key = canonical_url(link) or link
    digest = hashlib.sha256(key.encode()).hexdigest()[:10]
    folder = Path(folder) / SAVED_DIR
    existing = sorted(folder.glob(f"*-{digest}.md")) if folder.is_dir() else []
    path = existing[0] if existing else folder / f"{slug(article.title, 60) or 'page'}-{digest}.md"
    item = FeedItem(
        guid="",
        title=article.title,
        link=link,
        published=article.published,
        excerpt=article.excerpt,
        body=article.body,
        topics=tuple(article.topics),
        images=tuple(i.url for i in article.images),
    )
    atomic_write(path, render_item(item, Subscription(""), article.provider))
    return path
