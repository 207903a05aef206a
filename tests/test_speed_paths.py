"""The fast paths of issue 20: ``list --json`` reads each field for all rows in a few set
queries (never a loop of statements per article), and gives exactly what the per-article code
gave before it.

``tests/fixtures/list_json/*.jsonl`` were written by :func:`scenarios` running the old,
per-article code (commit 74f62dc) through ``python tests/test_speed_paths.py``; they are that
code's output, not hand-written.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from newsreader.cli import main

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "list_json"
#: Stands in for the folder's absolute path in the fixtures.
FOLDER = "<FOLDER>"

#: name -> the command's arguments after the folder
COMMANDS: dict[str, list[str]] = {
    "list": ["list", "{dir}", "--json"],
    "list_query": ["list", "{dir}", "--json", "--query", "clearview"],
    "search": ["search", "{dir}", "police", "--json", "--limit", "0"],
}


def _prepare(folder: Path, data_dir: Path) -> None:
    """The seeds plus a second copy of one (an article with two paths), one article read and
    one starred."""
    shutil.copytree(SEEDS, folder)
    shutil.copy(folder / "001_6a22c6f8e948ba59.txt", folder / "zz_copy.txt")
    from newsreader.library.library import Library, View

    library = Library.open(folder, data_dir)
    library.sync(workers=1)
    ids = library.article_ids(View())
    library.set_read(sorted(ids)[:2])
    library.set_starred(sorted(ids)[1:3])
    library.close()


def _run(argv: list[str], data_dir: Path) -> str:
    out = io.StringIO()
    old = os.environ.get("NEWSREADER_DATA_DIR")
    os.environ["NEWSREADER_DATA_DIR"] = str(data_dir)
    try:
        with contextlib.redirect_stdout(out):
            assert main(argv) == 0
    finally:
        if old is None:
            del os.environ["NEWSREADER_DATA_DIR"]
        else:
            os.environ["NEWSREADER_DATA_DIR"] = old
    return out.getvalue()


def scenarios(base: Path) -> dict[str, str]:
    """Each command's output on the prepared folder, with its path replaced by FOLDER."""
    folder, data_dir = base / "seeds", base / "data"
    _prepare(folder, data_dir)
    return {
        name: _run([a.format(dir=folder) for a in argv], data_dir).replace(str(folder), FOLDER)
        for name, argv in COMMANDS.items()
    }


@pytest.mark.parametrize("per_row", [None, 0, 2])
@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_json_output_is_what_the_per_article_code_gave(
    name: str, per_row: int | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each way of reading the side fields (subqueries for the first rows, whole tables for
    the rest) gives the old output, alone and together."""
    from newsreader.library import records

    if per_row is not None:
        monkeypatch.setattr(records, "PER_ROW", per_row)
    expected = (FIXTURES / f"{name}.jsonl").read_text(encoding="utf-8")
    assert expected.count("\n") >= 2
    assert scenarios(tmp_path)[name] == expected


@contextlib.contextmanager
def _counting(statements: list[str]) -> Iterator[None]:
    """Count every SQL statement any connection runs (the library opens several)."""
    real = sqlite3.connect

    def connect(*args: object, **kwargs: object) -> sqlite3.Connection:
        conn = real(*args, **kwargs)  # type: ignore[arg-type]
        conn.set_trace_callback(statements.append)
        return conn

    sqlite3.connect = connect  # type: ignore[assignment]
    try:
        yield
    finally:
        sqlite3.connect = real


def _statements_for_list_json(folder: Path, data_dir: Path) -> int:
    _run(["list", str(folder), "--json"], data_dir)  # the sync, and the cache warm
    statements: list[str] = []
    with _counting(statements):
        out = _run(["list", str(folder), "--json", "--no-sync"], data_dir)
    assert out.count("\n") >= 5
    # Statements FTS5 runs inside its virtual table (``-- SELECT pgno FROM fts_idx ...``, while
    # opening probes the index) depend on how the index is laid out, not on the command.
    return len([s for s in statements if not s.startswith("--")])


def test_list_json_statements_do_not_grow_with_the_articles(tmp_path: Path) -> None:
    small, big = tmp_path / "small", tmp_path / "big"
    for folder, copies in ((small, 1), (big, 8)):
        folder.mkdir()
        for n in range(copies):
            for seed in SEEDS.iterdir():
                # Each copy its own article: another URL, so another id.
                text = seed.read_text(encoding="utf-8").replace("https://", f"https://c{n}.", 1)
                (folder / f"{n}-{seed.name}").write_text(text, encoding="utf-8")
    few = _statements_for_list_json(small, tmp_path / "d1")
    many = _statements_for_list_json(big, tmp_path / "d2")
    assert few == many, (few, many)
    assert many < 60


if __name__ == "__main__":
    # Writes the fixtures from whatever code is installed: run only against the old code.
    import tempfile

    FIXTURES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in scenarios(Path(tmp)).items():
            (FIXTURES / f"{name}.jsonl").write_text(text, encoding="utf-8")
            print(name, text.count("\n"), file=sys.stderr)


# -- the no-change sync ---------------------------------------------------------------------------


def _synced(folder: Path, data_dir: Path) -> Any:
    from newsreader.library.library import Library

    library = Library.open(folder, data_dir)
    library.sync(workers=1)
    return library


def _fresh(library: Any) -> int | None:
    from newsreader.library import freshness
    from newsreader.library.sync import INGEST_VERSION

    with library.store.reading() as conn:
        return freshness.unchanged(conn, library.folder, INGEST_VERSION)


def test_an_unchanged_folder_is_known_unchanged_in_one_pass(tmp_path: Path) -> None:
    folder = tmp_path / "seeds"
    shutil.copytree(SEEDS, folder / "sub")
    library = _synced(folder, tmp_path / "data")
    assert _fresh(library) == 5
    report = library.sync(workers=1)
    assert (report.unchanged, report.added, report.updated, report.removed) == (5, 0, 0, 0)


def test_an_edit_in_place_is_seen_though_the_folder_mtime_is_not_changed(tmp_path: Path) -> None:
    folder = tmp_path / "seeds"
    shutil.copytree(SEEDS, folder)
    library = _synced(folder, tmp_path / "data")
    target = folder / "003_1705c473be1ca540.txt"
    before = os.stat(folder)
    text = target.read_text(encoding="utf-8")
    target.write_text(text.replace("NYPD", "NYPX", 1), encoding="utf-8")  # same size
    os.utime(folder, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert os.stat(folder).st_mtime_ns == before.st_mtime_ns
    assert _fresh(library) is None
    assert library.sync(workers=1).updated == 1


@pytest.mark.parametrize("change", ["add", "remove", "hidden", "fifo", "ingest"])
def test_anything_else_goes_to_the_full_sync(change: str, tmp_path: Path) -> None:
    folder = tmp_path / "seeds"
    shutil.copytree(SEEDS, folder)
    library = _synced(folder, tmp_path / "data")
    if change == "add":
        (folder / "new.md").write_text("# New\n\nA new article.\n", encoding="utf-8")
    elif change == "remove":
        (folder / "000_0e06e25c2019004f.txt").unlink()
    elif change == "hidden":
        (folder / ".notes").write_text("not an article", encoding="utf-8")
    elif change == "fifo":
        os.mkfifo(folder / "pipe")
    else:
        with library.store.writing() as conn:
            conn.execute("UPDATE meta SET value = 'old' WHERE key = 'ingest'")
    expected = 5 if change == "hidden" else None
    assert _fresh(library) == expected
    report = library.sync(workers=1)
    changed = report.added + report.removed + report.skipped + report.updated
    assert changed == (0 if change == "hidden" else 5 if change == "ingest" else 1)


# -- snippets -------------------------------------------------------------------------------------


def test_a_repetitive_article_gets_its_snippet_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``'word ' * 100000``: SQLite's snippet() took 64 s on it (issue 16 item 7)."""
    import time

    folder = tmp_path / "folder"
    shutil.copytree(SEEDS, folder)
    (folder / "long.md").write_text("# Long\n\n" + "word " * 100_000, encoding="utf-8")
    data = str(tmp_path / "data")
    assert main(["--data-dir", data, "index", str(folder)]) == 0
    capsys.readouterr()
    started = time.perf_counter()
    assert main(["--data-dir", data, "search", str(folder), "word", "--no-sync"]) == 0
    out = capsys.readouterr().out
    assert time.perf_counter() - started < 20  # a hang guard, not a timing: it was 64 s
    assert "Long" in out and "[word] [word]" in out
    started = time.perf_counter()
    assert main(["--data-dir", data, "list", str(folder), "--query", "word", "--no-sync"]) == 0
    assert "Long" in capsys.readouterr().out
    assert time.perf_counter() - started < 20  # was 75 s


def _write(path: Path, size: int, mtime_ns: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    os.utime(path, ns=(mtime_ns, mtime_ns))


def test_names_with_tabs_and_newlines_cannot_pass_for_other_files(tmp_path: Path) -> None:
    """The one-pass check compares ``path TAB size TAB mtime`` lines joined by newlines: names
    holding a TAB and a newline can cut those lines another way, so that two other files with
    other sizes give the very same text. Such a folder goes to the full sync."""
    from newsreader.library.library import Library

    folder = tmp_path / "f"
    folder.mkdir()
    library = Library.open(folder, tmp_path / "data")
    root = Path(library.folder)
    inner = str(root).lstrip("/")  # root's own path again, below a folder of a crafted name
    a, b, c = (10, 10**18), (20, 2 * 10**18), (30, 3 * 10**18)
    # Stored: a, and c below a folder named "b TAB size TAB mtime NEWLINE".
    _write(root / "a", *a)
    _write(root / f"b\t{b[0]}\t{b[1]}\n" / inner / "c", *c)
    library.sync(workers=1)
    shutil.rmtree(root)
    root.mkdir()
    # On disk now: b below a folder named after a's line, and c: the same lines, cut apart.
    _write(root / f"a\t{a[0]}\t{a[1]}\n" / inner / "b", *b)
    _write(root / "c", *c)
    assert _fresh(library) is None
    report = library.sync(workers=1)
    assert (report.removed, report.unchanged) == (2, 0)


def test_plain_list_streams_the_lines_the_rows_give(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``list`` writes one line a row from one streamed statement: the same lines as the
    rows the reader gets (``Library.rows``), marks and dates included."""
    from newsreader import printing
    from newsreader.library.library import Library, View

    scenarios(tmp_path)  # the seeds, a copy, two read and two starred
    library = Library.open(tmp_path / "seeds", tmp_path / "data")
    rowids = library.rowids(View())
    printing.rows(library.rows(rowids))
    expected = capsys.readouterr().out
    assert main(["--data-dir", str(tmp_path / "data"), "list", str(tmp_path / "seeds")]) == 0
    out = capsys.readouterr().out
    assert out == expected and out.count("\n") == 5
    assert {line[0] for line in out.splitlines()} >= {"*", "N", " "}


# -- the nested fields of a JSON line -------------------------------------------------------------


def _tricky_articles() -> list[Any]:
    """Articles whose stored data could mislead a reader of its text: keys and separators
    inside strings and extras, escapes, non-ASCII, NaN, no images or links at all."""
    from datetime import UTC, datetime

    from newsreader.model import Article, Image, RelatedLink

    sneaky = 'a ", "extras": {"x": 1}, "web_url": "u"} \\u0041 \\ "quoted" \x1f é 😀'
    extras_cases: list[dict[str, Any]] = [
        {},
        {"category": "news", "heat": 99, "published": True, "ratio": 0.1, "none": None},
        {"nested": {"web_url": "https://same.example/", "extras": [1, 2.5e300]}},
        {"nan": float("nan"), "inf": float("inf"), "big": 10**30},
        {"text": sneaky, "list": [sneaky, {"k": sneaky}]},
        {"é": "ümlaut", "escaped": "\\u00e9"},
    ]
    out = []
    for n, extras in enumerate(extras_cases):
        out.append(
            Article(
                id=f"id{n}",
                path=f"/f/{n}.md",
                title=sneaky,
                kind="frontmatter",
                web_url="https://same.example/" if n % 2 else sneaky,
                images=[Image(sneaky, 10, None), Image("https://i.example/x.jpg")] if n % 3 else [],
                related=[
                    RelatedLink(sneaky, "https://r.example/", sneaky, "P", "d.example", None, "k"),
                    RelatedLink("t", "u", published=datetime(2021, 5, 1, tzinfo=UTC), key=sneaky),
                ]
                if n % 2 == 0
                else [],
                extras=extras,
            )
        )
    return out


def test_nested_fields_are_what_the_encoder_writes_for_them() -> None:
    """``records._nested`` cuts the extras out of the stored text and writes the rest piece
    by piece: the same text as encoding the parsed fields whole, whatever they hold."""
    import json

    from newsreader.library import records
    from newsreader.library.parsing import prepare

    for article in _tricky_articles():
        prepared = prepare(article)
        data = prepared.values.data
        parsed = json.loads(data)
        expected = json.dumps(
            {
                "images": [{"url": u, "width": w, "height": h} for u, w, h in parsed["images"]],
                "related": [
                    {
                        "title": t,
                        "url": u,
                        "excerpt": e,
                        "provider": p,
                        "domain": d,
                        "published": pub or None,
                        "key": k,
                    }
                    for t, u, e, p, d, pub, k in parsed["related"]
                ],
                "type": article.type,
                "extras": parsed["extras"],
            },
            ensure_ascii=False,
        )[1:-1]
        assert records._nested(data, article.type, article.web_url) == expected
        # An older cache's data, written ASCII-only and without web_url: parsed whole.
        old = json.dumps({k: v for k, v in parsed.items() if k != "web_url"})
        assert records._nested(old, article.type, article.web_url) == expected
