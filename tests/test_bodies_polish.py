"""The third phase of a big index (``library.polish``): the bodies' phase gives the dear kinds
(HTML pages, HTML or Markdown under front matter, page dumps, Markdown pages) a rough text, which
search and stories use, and ``Library.polish`` cleans them fully after. Once it is done the cache
is what one pass gives; killed or stopped in it, the cache is searchable and the next call
finishes it; the reader never shows a rough body."""

from __future__ import annotations

import multiprocessing
import os
import threading
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import Any

import pytest

from newsreader.ingest import load
from newsreader.library import bodies, polish, pools
from newsreader.library.library import Library, View
from newsreader.model import Problem
from test_sync_serial import WatchedLock
from test_two_phase import PARA, articles, make_folder, two_phase


def rough_ids(library: Library) -> set[str]:
    return {
        r[0]
        for r in library.conn.execute(
            "SELECT a.id FROM articles a JOIN rough r ON r.article = a.rowid"
        )
    }


def synced(folder: Path, data: Path) -> Library:
    """A library after a two-phase sync, not polished yet."""
    library = Library.open(folder, data)
    report = library.sync(workers=1)
    assert "polishing" not in report.phase_seconds  # a phase apart (Library.polish)
    return library


def test_before_the_polishing_every_article_is_searchable_and_in_its_stories(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = make_folder(tmp_path)
    one = Library.open(folder, tmp_path / "one")
    one.sync(workers=1)
    two_phase(monkeypatch)
    two = synced(folder, tmp_path / "two")
    kinds = dict(
        two.conn.execute(
            "SELECT a.kind, count(*) FROM articles a JOIN rough r"
            " ON r.article = a.rowid GROUP BY a.kind"
        ).fetchall()
    )
    # Every kind with a body to clean got a rough one, Markdown under front matter too.
    assert {"html", "text", "markdown", "frontmatter"} <= set(kinds)
    assert two.bodies_pending() == 0  # search is not partial: no article is found by title only
    assert two.count(View(query="sandbags")) == one.count(View(query="sandbags")) > 0
    assert two.count(View(query="volunteers")) == one.count(View(query="volunteers"))
    assert two.count(View()) == one.count(View())
    assert two.story_count() > 0


def test_a_polishing_asked_to_stop_ends_after_its_batch_and_the_next_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = make_folder(tmp_path)
    one = Library.open(folder, tmp_path / "one")
    one.sync(workers=1)
    two_phase(monkeypatch)
    two = synced(folder, tmp_path / "two")
    before = len(rough_ids(two))
    monkeypatch.setattr(bodies, "BATCH", 2)
    asked: list[int] = []

    def stop() -> bool:
        asked.append(1)
        return True

    report = polish.polish_store(two.store, workers=1, stop=stop)
    assert asked == [1] and len(rough_ids(two)) == before - 2
    assert "polishing" in report.phase_seconds
    assert two.count(View(query="sandbags")) == one.count(View(query="sandbags"))
    two.polish(workers=1)
    assert not rough_ids(two) and articles(two) == articles(one)
    assert two.story_count() == one.story_count()


def test_the_reader_never_shows_a_rough_body_and_keeps_what_it_cleaned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = make_folder(tmp_path)
    (folder / "with-url.html").write_text(
        (tmp_path / "news" / "page.html")
        .read_text()
        .replace("<head>", '<head><link rel="canonical" href="https://example.com/flood">')
    )
    one = Library.open(folder, tmp_path / "one")
    one.sync(workers=1)
    expected = {row[0]: row for row in articles(one)}
    two_phase(monkeypatch)
    two = synced(folder, tmp_path / "two")
    waiting = rough_ids(two)
    for article_id in waiting:
        shown = two.article(article_id)
        assert shown is not None and shown.id == article_id
        # The body the reader shows is the one a one-pass index stores, moved id or not.
        final = [row for row in expected.values() if row[9] == shown.path]
        assert final and shown.body == final[0][2]
    # Those that keep their id (a URL gives it) were stored as cleaned; the others wait.
    url_id = two.conn.execute("SELECT id FROM articles WHERE path LIKE '%with-url.html'").fetchone()
    assert url_id[0] in waiting and url_id[0] not in rough_ids(two)
    assert rough_ids(two) and rough_ids(two) < waiting
    stored = two.conn.execute("SELECT * FROM articles WHERE id = ?", (url_id[0],)).fetchone()
    assert stored is not None
    row = next(r for r in articles(two) if r[0] == url_id[0])
    assert row[:9] == expected[url_id[0]][:9]


def test_an_article_whose_full_clean_fails_is_shown_with_no_body_not_its_rough_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = make_folder(tmp_path)
    two_phase(monkeypatch)
    library = synced(folder, tmp_path / "data")
    try:
        rows = library.conn.execute(
            "SELECT a.id, a.body FROM articles a JOIN rough r ON r.article = a.rowid"
        ).fetchall()
        assert rows and all(body for _, body in rows)  # the premise: rough bodies are stored
        # The full loader fails on the files now (what a crash in the extractor gives).
        monkeypatch.setattr(load, "load_file", lambda path: Problem(path, "could not parse: X"))
        for article_id, _ in rows:
            shown = library.article(article_id)
            assert shown is not None and shown.id == article_id
            assert shown.body == ""  # the reader says the full text is not in the file
        assert rough_ids(library) == {article_id for article_id, _ in rows}  # left to polish
    finally:
        library.close()


def test_a_kill_in_the_bodies_or_in_the_polishing_is_finished_after_a_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = make_folder(tmp_path)
    for n in range(6):
        (folder / f"dump-{n}.txt").write_text(
            f"Menu Home\nStory number {n} of the flood\n\n{PARA}\n"
        )
    one = Library.open(folder, tmp_path / "one")
    one.sync(workers=1)
    two_phase(monkeypatch)
    monkeypatch.setattr(bodies, "BATCH", 2)
    real = bodies._store
    stored: list[int] = []

    def store_then_die(conn: Any, batch: Any, *args: Any, **kwargs: Any) -> None:
        real(conn, batch, *args, **kwargs)
        stored.append(len(batch))
        raise KeyboardInterrupt

    # Killed after the bodies' first batch: two rough bodies, the rest still pending.
    monkeypatch.setattr(bodies, "_store", store_then_die)
    two = Library.open(folder, tmp_path / "two")
    with pytest.raises(KeyboardInterrupt):
        two.sync(workers=1)
    assert stored == [2] and len(rough_ids(two)) == 2 and two.bodies_pending() > 0
    two.close()
    monkeypatch.setattr(bodies, "_store", real)
    two = synced(folder, tmp_path / "two")  # the restart gives the rest their bodies
    assert two.bodies_pending() == 0
    assert two.count(View(query="sandbags")) == one.count(View(query="sandbags"))
    dump_id = two.conn.execute("SELECT id FROM articles WHERE path LIKE '%/dump.txt'").fetchone()[0]
    assert dump_id in rough_ids(two)
    two.set_read([dump_id])  # a mark on the id the list shows until the polishing moves it
    two.close()
    # Killed after the polishing's first batch.
    monkeypatch.setattr(bodies, "_store", store_then_die)
    again = Library.open(folder, tmp_path / "two")
    before = len(rough_ids(again))
    with pytest.raises(KeyboardInterrupt):
        again.polish(workers=1)
    assert stored == [2, 2] and 0 < len(rough_ids(again)) == before - 2
    assert again.count(View(query="sandbags")) == one.count(View(query="sandbags"))
    again.close()
    monkeypatch.setattr(bodies, "_store", real)
    last = Library.open(folder, tmp_path / "two")
    assert "polishing" not in last.sync(workers=1).phase_seconds  # syncs leave it to polish()
    report = last.polish(workers=1)
    assert "polishing" in report.phase_seconds
    assert not rough_ids(last) and last.bodies_pending() == 0
    assert articles(last) == articles(one)
    final = last.conn.execute("SELECT id FROM articles WHERE path LIKE '%/dump.txt'").fetchone()
    assert final[0] != dump_id and last.is_read(final[0])
    assert last.story_count() == one.story_count()
    assert [p.path for p in last.problems()] == [p.path for p in one.problems()]
    # Nothing left to polish: the next call has nothing to do.
    assert last.polish(workers=1).phase_seconds == {}


def _niceness(_shared: object, _task: int) -> int:
    return os.nice(0)


def _spawn() -> BaseContext:
    return multiprocessing.get_context("spawn")


@pytest.mark.skipif(not hasattr(os, "nice"), reason="no process priorities here")
def test_the_polishing_pool_works_at_a_lower_priority() -> None:
    mine = os.nice(0)
    found = pools.map_ordered(
        _niceness, None, iter(range(2)), workers=2, context=_spawn, window=2, nice=5
    )
    assert set(found) == {min(mine + 5, 19)}
    plain = pools.map_ordered(_niceness, None, iter(range(2)), workers=2, context=_spawn, window=2)
    assert set(plain) == {mine}


def test_a_cache_of_the_schema_before_gains_the_rough_table_and_keeps_its_rows(
    tmp_path: Path,
) -> None:
    from newsreader.library import db

    conn = db.connect(tmp_path / "cache.sqlite")
    db.migrate(conn, db.CACHE_MIGRATIONS, 5)
    conn.execute("INSERT INTO pending(article) VALUES (7)")
    assert "rough" not in {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    db.migrate(conn, db.CACHE_MIGRATIONS, db.CACHE_VERSION)
    assert conn.execute("SELECT article FROM pending").fetchall() == [(7,)]
    assert conn.execute("SELECT count(*) FROM rough").fetchone()[0] == 0


def test_a_sync_asked_for_during_the_polishing_takes_the_turn_after_its_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = make_folder(tmp_path)
    two_phase(monkeypatch)
    library = synced(folder, tmp_path / "data")
    before = len(rough_ids(library))
    monkeypatch.setattr(bodies, "BATCH", 2)
    turn = WatchedLock()
    library._sync_turn = turn  # type: ignore[assignment]
    syncs: list[threading.Thread] = []

    def progress(done: int, total: int, phase: str) -> None:
        if not syncs:  # the polishing has begun: a sync is asked for (r pressed)
            syncs.append(threading.Thread(target=lambda: library.sync(workers=1)))
            syncs[0].start()
            assert turn.waiting.wait(10)

    library.polish(progress, workers=1)
    syncs[0].join(30)
    assert not syncs[0].is_alive()
    assert len(rough_ids(library)) == before - 2  # one batch, then the turn went to the sync
    library.polish(workers=1)
    assert not rough_ids(library)
