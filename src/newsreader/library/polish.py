"""The third phase of a big index: clean fully the bodies the second phase gave a rough text.

Cleaning a whole HTML page (trafilatura, refereed by readability and resiliparse) costs 7-12 ms
of CPU, a page dump's or a Markdown page's 2-4 ms; resiliparse's main-content text of the same
page costs 0.2-0.6 ms, a dump's text as it is 0.2 ms (measured on ``benchmarks/gen_corpus.py``'s
files, read and decoded included). Search
and stories need only that: so the second phase (``library.bodies``) stores a *rough* body for
these kinds, the ``rough`` table holds their rowids, and the index is complete (every article
searchable, linked and in its stories) long before every body is polished.

This phase (``Library.polish``, for idle time after the sync) then cleans them the way one pass
would have, replacing each row in place (the same code as the second phase's, so ids,
duplicates and problems come out as one pass gives them), and regroups the stories of the
articles it changed. Its pool's workers run at a lower priority, and it stops after a batch when
a sync wants the turn. The ``rough`` table is its whole state: killed or stopped anywhere, it
leaves a searchable cache, and the next call finishes the phase; each batch marks the articles
it cleaned in the ``resign`` table in the same transaction, so the regrouping of their stories
is finished by the next call (or sync) too. The reader never shows a rough body:
``library.article`` cleans it on demand (``bodies.clean_now``; no body at all when that fails)
and stores what it cleaned when the article keeps its id, marked for re-signing the same way.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING

from newsreader.ingest.decode import MAX_BYTES, decode, looks_binary, read_capped

# The load's own patterns, so that a rough body is taken from where the full clean takes it.
from newsreader.ingest.load import (
    _FM_BOUNDARY,
    _FM_START,
    _HTML_START,
    _HTML_TAG,
    MAX_DUMP,
    detect_kind,
)
from newsreader.ingest.mail import is_mail
from newsreader.ingest.sanitize import clean_text
from newsreader.library.phases import Phases, Progress

if TYPE_CHECKING:
    from newsreader.library.bodies import Carry
    from newsreader.library.store import Store
    from newsreader.library.sync import SyncReport

log = logging.getLogger(__name__)

#: Niceness of the polishing pool's workers: the reader and other work on the machine go first.
NICE = 10


def rough_text(path: str) -> str | None:
    """A rough plain text of a file's body, for search and stories: resiliparse's main-content
    text of an HTML page or of HTML under front matter, or the text as it is of a page dump, a
    Markdown page or Markdown under front matter (whose full clean costs little more than
    parsing its front matter again, 1 ms). None for mail, and where the file is not what it was
    listed as: those are cleaned fully at once. Never raises."""
    from newsreader.ingest.extractors import main_text

    try:
        data = read_capped(path, MAX_BYTES)
        if not data.strip() or looks_binary(data):
            return None
        text = clean_text(decode(data))
        if is_mail(text[:4096]):
            return None
        kind = detect_kind(text)
        if kind in ("markdown", "text"):
            return text[:MAX_DUMP]
        page = text
        if kind == "frontmatter":
            match = _FM_START.match(text)
            parts = _FM_BOUNDARY.split(text[match.start() :].lstrip(), 2) if match else []
            if len(parts) < 3:
                return None
            page = parts[2].strip()
            if not (_HTML_START.match(page) or _HTML_TAG.search(page[:4096])):
                return page  # Markdown: its full clean costs little, but its YAML again
        body = clean_text(main_text(page))
    except Exception:  # noqa: BLE001 - a file that fails here is cleaned fully, which reports it
        return None
    return body if body.strip() else None


def waiting(conn: sqlite3.Connection) -> int:
    """How many articles still hold a rough body."""
    count: int = conn.execute("SELECT count(*) FROM rough").fetchone()[0]
    return count


def polish_store(
    store: Store,
    progress: Progress | None = None,
    workers: int | None = None,
    *,
    stop: Callable[[], bool] | None = None,
) -> SyncReport:
    """Polish a library's rough bodies (see :func:`polish`) and carry the marks made on the ids
    that moved. ``stop`` is asked after each batch: when it says so, the phase ends there (the
    ``rough`` table keeps what is left for the next call). A cache another process keeps busy
    is left for later too: polishing is never urgent."""
    from newsreader.library import db, state
    from newsreader.library.sync import SyncReport

    report = SyncReport()
    timed = Phases(progress)
    try:
        with store.writing() as conn:
            polish(
                conn,
                report,
                workers=workers,
                progress=timed,
                carry=lambda moved: state.carry_marks(store, moved),
                stop=stop,
            )
    except sqlite3.OperationalError as error:
        if not db.is_locked(error):
            raise
        log.info("the cache is busy; polishing later (%s)", error)
    # Marks made on a listed id after its batch moved it (the list shows it until it reloads).
    state.carry_marks(store, report.moved_ids)
    timed.end()
    report.phase_seconds = timed.seconds
    return report


def polish(
    conn: sqlite3.Connection,
    report: SyncReport,
    *,
    workers: int | None = None,
    progress: Progress | None = None,
    carry: Carry | None = None,
    stop: Callable[[], bool] | None = None,
) -> int:
    """Clean fully every article with a rough body (until ``stop`` says so), then regroup the
    stories of those that changed; returns how many were cleaned. ``report`` gains what the
    second phase's ``bodies.index_bodies`` adds to it."""
    from newsreader.library import bodies
    from newsreader.library.sync import _tidy_search_index

    done = bodies.index_bodies(
        conn, report, workers=workers, progress=progress, carry=carry, polish=True, stop=stop
    )
    if done:
        _tidy_search_index(conn, done)
    # Every article polished, by this call's batches, a killed call's or the reader, is marked
    # in ``resign`` with its batch: its stories are regrouped here, or by the next call.
    bodies.regroup_stories(conn, report.changed_ids)
    return done
