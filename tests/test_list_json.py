"""How ``list --json`` spends less: the stored related links are not parsed and escaped again
when they need no escape, the rows come from SQLite a batch at a time, and the cyclic garbage
collector sleeps while the lines are written. Each test checks the mechanism, not a time;
the output itself is checked against the old code's in tests/test_speed_paths.py."""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from newsreader import printing
from newsreader.library import records
from newsreader.library.library import Library, View
from newsreader.library.parsing import prepare
from newsreader.model import Article, Image, RelatedLink
from test_speed_paths import _prepare

#: Text that looks like the structure around it, with nothing to escape (no quote, no
#: backslash, no control character): brackets, braces (format fields too), separators.
LOOKALIKE = 'x], [{"url": {0}}, "related": [[a, 1, null]] {} : , ] é 😀'.replace('"', "")


def _article(n: int, text: str) -> Article:
    return Article(
        id=f"id{n}",
        path=f"/f/{n}.md",
        title=text,
        kind="frontmatter",
        web_url=f"https://w.example/{n}",
        images=[Image(text, 10, None), Image("https://i.example/x.jpg", 1200, 800)],
        related=[
            RelatedLink(text, "https://r.example/", "", "P", "d.example", None, "k"),
            RelatedLink("", "u", text, published=datetime(2021, 5, 1, tzinfo=UTC), key=text),
        ],
        extras={"category": text, "n": n},
    )


def _encoded(data: str, kind: str) -> str:
    """What the JSON encoder writes for the record's images, related links, type and extras."""
    parsed = json.loads(data)
    return json.dumps(
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
            "type": kind,
            "extras": parsed["extras"],
        },
        ensure_ascii=False,
    )[1:-1]


def test_related_links_without_escapes_are_not_parsed_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Stored data with nothing escaped is written from its own strings: one parse for the
    first article of a shape (to learn it), none for the others, and the same text as the
    encoder gives."""
    parses: list[str] = []
    real = records._loads

    def counted(text: str) -> Any:
        parses.append(text)
        return real(text)

    monkeypatch.setattr(records, "_loads", counted)
    articles = [_article(n, f"{LOOKALIKE} {n}") for n in range(40)]
    for article in articles:
        data = prepare(article).values.data
        assert "\\" not in data
        assert records._nested(data, article.type, article.web_url) == _encoded(data, article.type)
    assert len(parses) <= 1, len(parses)


def test_an_empty_date_of_a_related_link_is_null_as_before() -> None:
    """An older writer's empty date ("") is written as null, as ``_nested_lists`` writes it,
    and the other empty strings stay strings."""
    data = json.dumps(
        {
            "images": [],
            "related": [["", "u", "", "P", "d", "", "k"], ["t", "u", "e", "", "", None, ""]],
            "extras": {},
            "web_url": "https://w.example/",
        },
        ensure_ascii=False,
    )
    out = records._nested(data, "article", "https://w.example/")
    assert out == _encoded(data, "article")
    assert out.count('"published": null') == 2


def test_rows_of_the_table_path_come_a_batch_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After the first rows, SQLite steps through a batch of rows before their lines are
    written, not one row a line: between two lines of a batch it runs no instruction."""
    folder, data_dir = tmp_path / "seeds", tmp_path / "data"
    _prepare(folder, data_dir)
    monkeypatch.setattr(records, "PER_ROW", 0)  # every row from the side tables
    library = Library.open(folder, data_dir)
    rowids = library.rowids(View())
    assert len(rowids) >= 4
    steps: list[int] = []
    with library.store.reading() as conn:
        conn.set_progress_handler(lambda: steps.append(1) or 0, 1)
        try:
            lines = records.json_lines(conn, rowids)
            counts = []
            for _ in range(len(rowids)):
                next(lines)
                counts.append(len(steps))
        finally:
            conn.set_progress_handler(None, 1)
    assert counts[0] > 0
    assert counts[-1] == counts[0], counts


class _Lines:
    """A library whose JSON lines note whether the collector runs while each is written."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.collecting: list[bool] = []

    def json_lines(self, rowids: list[int], query: str, shown: Any) -> Iterator[tuple[str, str]]:
        for rowid in rowids:
            self.collecting.append(gc.isenabled())
            yield f"id{rowid}", "{}"
        if self.fail:
            raise RuntimeError("damage met mid-stream")


def test_the_collector_sleeps_while_json_lines_are_written(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert gc.isenabled()
    printing.written.clear()
    lines = _Lines()
    printing.json_lines(lines, [1, 2, 3])
    assert lines.collecting == [False] * 3
    assert gc.isenabled()
    assert capsys.readouterr().out == "{}\n" * 3
    failing = _Lines(fail=True)
    with pytest.raises(RuntimeError):
        printing.json_lines(failing, [4])
    assert failing.collecting == [False]
    assert gc.isenabled()
    printing.written.clear()
