"""The two-phase index (issue 20): a big sync lists every article from its cheap metadata first
(``ingest.quick``), then gives the bodies a rough text or cleans them (``library.bodies``), and
``Library.polish`` cleans the rough ones after (``library.polish``). Same articles in the end as
one pass; a restart finishes the second phase; an article opened before its body is cleaned is
cleaned on demand; marks made on a provisional id follow the final id."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from newsreader.ingest.discover import walk
from newsreader.ingest.load import load_file
from newsreader.ingest.quick import quick_file
from newsreader.library import bodies, parsing
from newsreader.library.library import Library, View
from newsreader.model import Problem

SEEDS = Path(__file__).resolve().parent.parent / "seeds"

DUMP = """Menu Home News Sport
The night the river rose over the old bridge

By A. Reporter
{para}

Comments
Great story thanks
"""
PARA = (
    "The river rose over the old bridge on Tuesday night and residents of the county were told "
    "to leave their homes before the water reached the main street. Volunteers filled sandbags "
    "until the early morning while the council met to decide on a budget for the repairs."
)
HTML = """<!DOCTYPE html><html><head><title>Flood waters reach the market | Daily</title>
<meta property="article:published_time" content="2021-04-02T10:00:00Z"></head>
<body><nav>Home News</nav><article><h1>Flood waters reach the market</h1>
<p>{para}</p><p>{para}</p></article><footer>Copyright</footer></body></html>
"""


def make_folder(root: Path) -> Path:
    """The seeds plus a page dump, a copy of it, an HTML page with no URL, Markdown, and front
    matter with and without a body: every kind the first phase lists differently."""
    folder = root / "news"
    shutil.copytree(SEEDS, folder)
    (folder / "dump.txt").write_text(DUMP.format(para=PARA))
    (folder / "sub").mkdir()
    (folder / "sub" / "dump-copy.txt").write_text(DUMP.format(para=PARA))
    (folder / "page.html").write_text(HTML.format(para=PARA))
    (folder / "notes.md").write_text(f"# Council notes on the flood\n\n{PARA}\n\n{PARA}\n")
    (folder / "short.txt").write_text("too short to be an article\n")
    (folder / "fm-empty.md").write_text(
        "---\ntitle: A listing with no body\nurl: https://example.com/empty\ntopics: [Flood]\n---\n"
    )
    (folder / "fm-body.md").write_text(
        f"---\ntitle: With a body\npublished: 2021-03-01\n---\n{PARA}\n\n**bold** and more.\n"
    )
    return folder


def articles(library: Library) -> list[tuple[object, ...]]:
    return list(
        library.conn.execute(
            "SELECT id, title, body, excerpt, published, provider, topics, data, words, path"
            " FROM articles ORDER BY id"
        )
    )


def listing(library: Library) -> list[str]:
    return [row.title for row in library.page(View(), 0, 100)]


def two_phase(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bodies, "TWO_PHASE_MIN", 1)


def test_quick_gives_a_bodiless_article_exactly_and_never_loads_the_extractor(
    tmp_path: Path,
) -> None:
    folder = make_folder(tmp_path)
    complete = 0
    for entry in walk(str(folder)):
        quick, done = quick_file(entry.path)
        full = load_file(entry.path)
        assert isinstance(quick, Problem) == isinstance(full, Problem), entry.path
        if done and not isinstance(quick, Problem):
            complete += 1
            assert quick == full
    assert complete >= 1
    probe = (
        "import sys; from newsreader.ingest.quick import quick_file\n"
        f"for p in {[e.path for e in walk(str(folder))]!r}: quick_file(p)\n"
        "print(any(m.startswith(('trafilatura', 'lxml', 'newsreader.ingest.clean'))"
        " for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_two_phases_end_with_the_articles_one_pass_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = make_folder(tmp_path)
    one = Library.open(folder, tmp_path / "one")
    one_report = one.sync(workers=1)
    two_phase(monkeypatch)
    two = Library.open(folder, tmp_path / "two")
    report = two.sync(workers=1)
    assert report.listed > 0
    assert "bodies" in report.phase_seconds
    assert report.seconds >= report.phase_seconds["parsing"] + report.phase_seconds["bodies"]
    assert articles(two) != articles(one)  # rough bodies, until polished
    polished = two.polish(workers=1)
    assert "polishing" in polished.phase_seconds
    assert articles(two) == articles(one)
    assert two.conn.execute("SELECT count(*) FROM pending").fetchone()[0] == 0
    assert report.added == one_report.added and report.skipped == one_report.skipped
    assert report.duplicates + polished.duplicates == one_report.duplicates == 1
    assert [p.path for p in two.problems()] == [p.path for p in one.problems()]
    assert two.count(View(query="sandbags")) == one.count(View(query="sandbags")) > 0
    assert two.story_count() == one.story_count()


def test_a_sync_killed_between_the_phases_is_finished_by_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = make_folder(tmp_path)
    one = Library.open(folder, tmp_path / "one")
    one.sync(workers=1)
    two_phase(monkeypatch)
    real = bodies.index_bodies

    def killed(*args: object, **kwargs: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(bodies, "index_bodies", killed)
    two = Library.open(folder, tmp_path / "two")
    with pytest.raises(KeyboardInterrupt):
        two.sync(workers=1)
    # Listed: every article, the right count, in its place (the copies of the dump are one).
    assert two.count(View()) == one.count(View())
    assert sorted(listing(two)) != [] and len(listing(two)) == len(listing(one))
    pending = two.conn.execute("SELECT count(*) FROM pending").fetchone()[0]
    assert pending > 0
    # Title search works while the bodies are not cleaned yet; body search does not yet.
    assert two.count(View(query="council notes")) == 1
    assert two.count(View(query="sandbags")) == 0
    # The reader opens a pending article cleaned on demand, and its read mark is kept.
    dump_id = two.conn.execute(
        "SELECT a.id FROM articles a JOIN pending p ON p.article = a.rowid"
        " WHERE a.path LIKE '%dump.txt'"
    ).fetchone()[0]
    opened = two.article(dump_id)
    assert opened is not None and "sandbags" in opened.body and opened.id == dump_id
    two.set_read([dump_id])
    two.close()
    monkeypatch.setattr(bodies, "index_bodies", real)
    again = Library.open(folder, tmp_path / "two")
    report = again.sync(workers=1)
    polished = again.polish(workers=1)
    assert report.added == 0 and len(polished.moved_ids) >= 1
    assert articles(again) == articles(one)
    final = again.conn.execute("SELECT id FROM articles WHERE path LIKE '%dump.txt'").fetchone()
    assert final[0] != dump_id and again.is_read(final[0])
    assert again.count(View(query="sandbags")) == one.count(View(query="sandbags"))
    assert again.story_count() == one.story_count()


def test_a_listed_file_that_proves_no_article_goes_to_problems(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = make_folder(tmp_path)
    two_phase(monkeypatch)
    real = parsing.load_file

    def refuse_notes(path: str) -> object:
        return Problem(path, "not an article: test") if path.endswith("notes.md") else real(path)

    monkeypatch.setattr(parsing, "load_file", refuse_notes)
    library = Library.open(folder, tmp_path / "data")
    report = library.sync(workers=1)
    polished = library.polish(workers=1)  # a Markdown page gets a rough body first
    assert "Council notes on the flood" not in listing(library)
    assert any(p.path.endswith("notes.md") for p in library.problems())
    assert polished.skipped == 1
    assert report.added - polished.skipped == library.count(View())


def test_the_first_phase_runs_in_the_pool_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = make_folder(tmp_path)
    for n in range(80):
        (folder / f"extra-{n}.md").write_text(f"# Extra note {n}\n\n{PARA} {n}\n")
    one = Library.open(folder, tmp_path / "one")
    one.sync(workers=1)
    two_phase(monkeypatch)
    two = Library.open(folder, tmp_path / "two")
    two.sync(workers=2)
    two.polish(workers=2)
    assert articles(two) == articles(one)
    assert json.loads(json.dumps(listing(two))) == listing(one)


def index_names(library: Library) -> set[str]:
    return {
        r[0]
        for r in library.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        )
    }


def test_a_cold_build_killed_in_its_first_phase_gets_its_indexes_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from newsreader.library import sync

    folder = make_folder(tmp_path)
    one = Library.open(folder, tmp_path / "one")
    one.sync(workers=1)
    two_phase(monkeypatch)
    monkeypatch.setattr(sync, "BATCH", 3)
    real = sync._store_batch
    calls = []

    def killed_on_the_second(*args: object, **kwargs: object) -> None:
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(sync, "_store_batch", killed_on_the_second)
    two = Library.open(folder, tmp_path / "two")
    with pytest.raises(KeyboardInterrupt):
        two.sync(workers=1)
    assert "articles_published" not in index_names(two)  # written without them
    monkeypatch.setattr(sync, "_store_batch", real)
    two.sync(workers=1)
    two.polish(workers=1)
    assert index_names(two) == index_names(one)
    assert articles(two) == articles(one)


def test_search_says_its_results_are_partial_while_bodies_wait(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    folder = make_folder(tmp_path)
    two_phase(monkeypatch)

    def killed(*args: object, **kwargs: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(bodies, "index_bodies", killed)
    library = Library.open(folder, tmp_path / "data")
    with pytest.raises(KeyboardInterrupt):
        library.sync(workers=1)
    waiting = library.bodies_pending()
    library.close()
    assert waiting > 0
    env = {**os.environ, "NEWSREADER_DATA_DIR": str(tmp_path / "data")}
    search = [sys.executable, "-m", "newsreader", "search", str(folder), "flood"]
    done = subprocess.run([*search, "--no-sync"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert f"partial results: {waiting:,} articles found by title only" in done.stderr
    done = subprocess.run(search, env=env, capture_output=True, text=True)  # syncs: finishes
    assert done.returncode == 0 and "partial" not in done.stderr, done.stderr


def test_a_mark_made_on_a_moved_id_during_the_bodies_phase_follows_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The list shows an article by its listed id until it reloads: a read mark the user makes
    there after the bodies' phase moved that id (its batch's marks already carried) must still
    reach the final id."""
    folder = make_folder(tmp_path)
    two_phase(monkeypatch)
    library = Library.open(folder, tmp_path / "data")
    real = bodies.index_bodies
    marked: list[str] = []

    def index(*args: Any, carry: Any = None, **kwargs: Any) -> int:
        def carry_then_mark(moved: list[tuple[str, str]]) -> None:
            if carry is not None:
                carry(moved)
            for old, _new in moved:  # marked on the row the list still shows
                library.set_read([old])
                marked.append(old)

        return real(*args, carry=carry_then_mark, **kwargs)

    monkeypatch.setattr(bodies, "index_bodies", index)
    report = library.sync(workers=1)
    polished = library.polish(workers=1)  # the ids of the rough bodies move here
    assert marked
    moved = dict(report.moved_ids + polished.moved_ids)
    assert all(library.is_read(moved[old]) for old in marked)
    library.close()
