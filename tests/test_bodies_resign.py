"""Stories of the articles whose rough bodies were cleaned fully (``library.polish``): a
polishing batch, or the reader cleaning an article on demand (``bodies.clean_now``), takes it out
of the ``rough`` table and marks it in ``resign`` in the same transaction; the polishing's
regrouping (or the next sync's) re-signs it from its clean body and empties the table. So a
kill between a batch and the regrouping, or an article opened while rough, never leaves a
story vector signed from the rough text (which repeats the headline, holds the page's menus)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from newsreader.library import bodies, db
from newsreader.library.library import Library

PARA = (
    "The river rose over the old bridge on Tuesday night and residents of the county were told "
    "to leave their homes before the water reached the main street. Volunteers filled sandbags "
    "until the early morning while the council met to decide on a budget for the repairs."
)
PAGE = """---
title: Flood waters reach the market {n}
url: https://example.com/2021/flood-market-{n}
published: 2021-04-02
---
<html><body><nav><ul><li>Home</li><li>Weather</li><li>Sport</li></ul></nav>
<article><h1>Flood waters reach the market {n}</h1><p>{p}</p><p>{p}</p>
<p>Traders at the market moved their stalls uphill.</p></article>
<footer>Copyright Daily Newspaper Group</footer></body></html>
"""
OTHER = """---
title: Council sets a repair budget after the flood
url: https://example.com/2021/flood-budget
published: 2021-04-03
---
{p}

The council met again on Wednesday.
"""


def _vectors(library: Library) -> dict[str, str]:
    rows = library.conn.execute(
        "SELECT a.path, d.vector FROM story_docs d JOIN articles a ON a.rowid = d.article"
    )
    return {Path(path).name: vector for path, vector in rows}


def _resign(library: Library) -> int:
    count: int = library.conn.execute("SELECT count(*) FROM resign").fetchone()[0]
    return count


def _one_pass(folder: Path, data: Path) -> dict[str, str]:
    one = Library.open(folder, data)
    one.sync(workers=1)
    try:
        return _vectors(one)
    finally:
        one.close()


@pytest.mark.parametrize("then", ["polish", "sync"])
def test_an_article_opened_while_rough_is_signed_from_its_clean_body(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, then: str
) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "page.md").write_text(PAGE.format(p=PARA, n=0))
    (folder / "other.md").write_text(OTHER.format(p=PARA))
    expected = _one_pass(folder, tmp_path / "one")

    monkeypatch.setattr(bodies, "TWO_PHASE_MIN", 1)
    two = Library.open(folder, tmp_path / "two")
    try:
        two.sync(workers=1)
        (article_id,) = two.conn.execute(
            "SELECT a.id FROM articles a JOIN rough r ON r.article = a.rowid"
            " WHERE a.path LIKE '%page.md'"
        ).fetchone()
        opened = two.article(article_id)  # the reader opens it: cleaned now, and stored
        assert opened is not None and opened.id == article_id
        assert two.rough_bodies() == 1 and _resign(two) == 1  # marked, not re-signed yet
        if then == "polish":
            two.polish(workers=1)
            assert two.rough_bodies() == 0
            assert _vectors(two) == expected
        else:  # a sync with nothing new finishes it as well
            two.sync(workers=1)
            assert _vectors(two)["page.md"] == expected["page.md"]
        assert _resign(two) == 0
    finally:
        two.close()


def test_a_kill_between_a_polished_batch_and_the_regrouping_is_finished_after_a_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    for n in range(3):
        (folder / f"page-{n}.md").write_text(PAGE.format(p=PARA, n=n))
    expected = _one_pass(folder, tmp_path / "one")

    monkeypatch.setattr(bodies, "TWO_PHASE_MIN", 1)
    monkeypatch.setattr(bodies, "BATCH", 1)
    two = Library.open(folder, tmp_path / "two")
    two.sync(workers=1)
    assert two.rough_bodies() == 3
    rough = _vectors(two)
    two.close()

    real = bodies._store

    def store_then_die(conn: Any, batch: Any, *args: Any, **kwargs: Any) -> None:
        real(conn, batch, *args, **kwargs)
        raise KeyboardInterrupt  # killed once the batch is committed

    monkeypatch.setattr(bodies, "_store", store_then_die)
    again = Library.open(folder, tmp_path / "two")
    with pytest.raises(KeyboardInterrupt):
        again.polish(workers=1)
    assert again.rough_bodies() == 2 and _resign(again) == 1
    assert _vectors(again) == rough  # the premise: stories not regrouped yet
    again.close()

    monkeypatch.setattr(bodies, "_store", real)
    last = Library.open(folder, tmp_path / "two")
    try:
        last.polish(workers=1)
        assert last.rough_bodies() == 0 and _resign(last) == 0
        assert _vectors(last) == expected
    finally:
        last.close()


def test_a_cache_of_the_schema_before_gains_the_resign_table_and_keeps_its_rows(
    tmp_path: Path,
) -> None:
    conn = db.connect(tmp_path / "cache.sqlite")
    db.migrate(conn, db.CACHE_MIGRATIONS, 6)
    conn.execute("INSERT INTO rough(article) VALUES (7)")
    assert "resign" not in {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    db.migrate(conn, db.CACHE_MIGRATIONS, db.CACHE_VERSION)
    assert conn.execute("SELECT article FROM rough").fetchall() == [(7,)]
    assert conn.execute("SELECT count(*) FROM resign").fetchone()[0] == 0
    conn.close()
