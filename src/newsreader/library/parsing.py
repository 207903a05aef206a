"""Files -> rows ready to insert, in the parse pool's workers (or here, for a few files).

Each file is read within a time limit, so one pathological file is skipped as "took too long"
rather than holding back its batch; the writer in ``sync`` only stores what comes back.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from collections.abc import Generator
from multiprocessing.context import BaseContext
from typing import Literal, NamedTuple

from newsreader.ingest.discover import FileEntry
from newsreader.ingest.load import load_file, load_mailbox
from newsreader.ingest.quick import quick_file
from newsreader.library.polish import rough_text
from newsreader.library.pools import TookTooLong, map_ordered
from newsreader.library.pools import time_limit as time_limit_of
from newsreader.model import Article, Problem

#: Files per task handed to a worker: big enough to keep pickling overhead small.
CHUNK = 48
#: Chunks in flight per worker: bounds the memory held by results the writer has not stored
#: (about 5 MB at this size). It must outlast the writer storing a batch, as only the writer
#: hands out more work: at 4 the workers sat idle through each batch's store.
WINDOW = 10
#: Below this many files a pool costs more to start than it saves.
POOL_THRESHOLD = 64
#: Seconds one file may take to read before it is skipped as "took too long". Real articles
#: take milliseconds; a 4 MB page a second or two on a slow machine.
FILE_TIME_LIMIT = 10.0


class Columns(NamedTuple):
    """The ``articles`` columns after ``id`` and ``path``, in insert order (see ``_INSERT``)."""

    title: str
    kind: str
    excerpt: str
    body: str
    published: int | None
    url: str
    web_url: str
    provider: str
    domain: str
    #: The topics, one a line.
    topics: str
    type: str
    #: Images, related links and extras as JSON.
    data: str
    words: int


class Prepared(NamedTuple):
    """An article as rows ready to insert, built in a worker so the writer stays light."""

    id: str
    values: Columns
    topics: list[str]
    url_keys: list[str]
    link_keys: list[str]
    #: Listed from its cheap metadata only: the body is still to be cleaned (``bodies``).
    pending: bool = False


class Messages(NamedTuple):
    """Every message of an mbox file (two or more), each an article of its own: its rows, or the
    Problem that stopped it (``library.mailboxes`` stores them)."""

    items: list[Prepared | Problem]


Parsed = Prepared | Problem | Messages


def prepare(article: Article) -> Prepared:
    """Turn an Article into insertable rows."""
    data = json.dumps(
        {
            "images": [[i.url, i.width, i.height] for i in article.images],
            "related": [
                [
                    r.title,
                    r.url,
                    r.excerpt,
                    r.provider,
                    r.domain,
                    r.published.isoformat() if r.published else None,
                    r.key,
                ]
                for r in article.related
            ],
            "extras": article.extras,
            "web_url": article.web_url,
        },
        ensure_ascii=False,
    )
    published = int(article.published.timestamp()) if article.published else None
    return Prepared(
        article.id,
        Columns(
            article.title,
            article.kind,
            article.excerpt,
            article.body,
            published,
            article.url,
            article.web_url,
            article.provider,
            article.domain,
            "\n".join(article.topics),
            article.type,
            data,
            len(article.body.split()),
        ),
        # One row per topic, case-insensitively (the column collates NOCASE).
        _unique_topics(article.topics),
        [k for k in dict.fromkeys(article.url_keys) if k],
        [r.key for r in article.related if r.key],
    )


def _unique_topics(topics: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for topic in topics:
        if topic and topic.casefold() not in seen:
            seen.add(topic.casefold())
            out.append(topic)
    return out


#: How ``parse_file`` reads a file: fully, its cheap metadata only (``quick``), or its body's
#: rough text where the full clean is dear (``rough``, see ``library.polish``).
Mode = Literal["full", "quick", "rough"]


class Rough(NamedTuple):
    """A listed article's rough body (``library.polish``): searchable text, not for reading."""

    body: str
    words: int


def parse_file(
    path: str, time_limit: float | None = None, *, mode: Mode = "full"
) -> Parsed | Rough:
    """Load one file into insertable rows, or the Problem that stopped it. Never raises.

    A file still being read after ``time_limit`` seconds is given up ("took too long"), so one
    pathological file costs its batch that long and no more (see ``pools.time_limit`` for
    where the limit holds). ``quick`` reads only its cheap metadata (``ingest.quick``): an
    article with a body to clean comes back ``pending``, and the extractor is never loaded.
    ``rough`` gives a ``Rough`` body where ``polish.rough_text`` has one, else the full rows.
    An mbox file of two messages or more gives them all, read fully (``Messages``) in any mode.
    """
    if mode != "quick":
        from newsreader.ingest import clean  # noqa: F401 - its 0.4 s import is no file's time

    try:
        with time_limit_of(time_limit):
            complete = True
            if mode == "rough" and (text := rough_text(path)) is not None:
                return Rough(text, len(text.split()))
            if mode == "quick":
                result, complete = quick_file(path)
            else:
                result = load_file(path)
            if isinstance(result, Problem):
                return result
            if result.kind == "mail":  # an mbox's messages are read here, all of them
                try:
                    found = load_mailbox(path)
                except TookTooLong:  # too many to read in time: its first, as a message file's
                    reason = f"took too long: only the first message read within {time_limit:g} s"
                    first = _prepared(result, path, pending=not complete)
                    return Messages([first, Problem(path, reason)])
                if len(found) > 1:
                    return Messages([_prepared(item, path) for item in found])
            try:
                return prepare(result)._replace(pending=not complete)
            except Exception as error:  # noqa: BLE001 - a bad file must never stop a sync
                return Problem(path, f"could not store: {type(error).__name__}: {error}")
    except TookTooLong:
        return Problem(path, f"took too long: not read within {time_limit:g} s")


def _prepared(item: Article | Problem, path: str, *, pending: bool = False) -> Prepared | Problem:
    """One message's rows (read fully: an mbox is read whole in every mode)."""
    if isinstance(item, Problem):
        return item
    try:
        return prepare(item)._replace(pending=pending)
    except Exception as error:  # noqa: BLE001 - a bad file must never stop a sync
        return Problem(path, f"could not store: {type(error).__name__}: {error}")


def parse_many(shared: tuple[float | None, Mode], paths: list[str]) -> list[Parsed | Rough]:
    """A worker's task: a chunk of files, each within the time limit, in the mode the pool
    hands every worker at start-up (see ``pools.map_ordered``)."""
    time_limit, mode = shared
    return [parse_file(path, time_limit, mode=mode) for path in paths]


def pool_context(quick: bool = False) -> BaseContext:
    """Forkserver where there is one, else spawn; never a plain fork.

    The TUI syncs from a thread, and forking a threaded process is unsafe. A forkserver is forked
    once, early and thread-free, with the ingest modules already imported, so workers start in
    milliseconds instead of re-importing trafilatura and lxml each. A ``quick`` first pass needs
    no extractor: a forkserver it starts does not wait 0.4 s for one (its later workers import
    it on their first full parse).
    """
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        preload = ["newsreader.library.parsing"]
        context.set_forkserver_preload(preload if quick else [*preload, "newsreader.ingest.clean"])
        return context
    return multiprocessing.get_context("spawn")


def parse_entries(
    todo: list[FileEntry],
    workers: int | None,
    time_limit: float | None = None,
    *,
    mode: Mode = "full",
    nice: int = 0,
) -> Generator[tuple[FileEntry, Parsed | Rough], None, None]:
    """Each entry with what parsing it gave, in order: in a process pool (its workers at
    ``nice``), or here for a few files (a pool costs more to start than it saves). ``mode``:
    see ``parse_file``."""
    workers = workers if workers is not None else (os.cpu_count() or 1)
    limit = FILE_TIME_LIMIT if time_limit is None else time_limit
    if len(todo) < POOL_THRESHOLD or workers <= 1:
        for entry in todo:
            yield entry, parse_file(entry.os_path, limit, mode=mode)
        return
    chunks = [todo[i : i + CHUNK] for i in range(0, len(todo), CHUNK)]
    results = map_ordered(
        parse_many,
        (limit, mode),
        ([e.os_path for e in chunk] for chunk in chunks),
        workers=workers,
        context=(lambda: pool_context(quick=True)) if mode == "quick" else pool_context,
        window=workers * WINDOW,
        nice=nice,
    )
    for chunk, parsed in zip(chunks, results, strict=True):
        yield from zip(chunk, parsed, strict=True)
