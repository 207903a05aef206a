"""Pilot tests of the widgets (issue 22): reader keys, list rows in terminal cells, paths shown
safely, the smallest layout. Keys are typed without pauses, as a fast hand types them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len
from textual.content import Content
from textual.pilot import Pilot
from textual.widgets import OptionList, Static
from textual.widgets.markdown import MarkdownBlock

import newsreader.tui.screens.state as tui_state
from newsreader.tui.screens.modals import ProblemsScreen
from newsreader.tui.widgets.article_list import short_date
from newsreader.tui.widgets.reader import ReaderView
from newsreader.tui.widgets.topic_tree import TopicTree
from tui_support import (
    Harness,
    copy_seeds,
    plain,
    run,
    screen_text,
    settle,
    wait_until,
    write_article,
    yaml_str,
)


@pytest.fixture(autouse=True)
def _no_read_on_dwell(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tui_state, "READ_AFTER", 3600.0)


def long_article(tmp_path: Path) -> Harness:
    folder = tmp_path / "news"
    folder.mkdir()
    body = "\n\n".join(f"Paragraph {i} of a long article." for i in range(200))
    write_article(folder, "long.md", title='"A long read"', body=body)
    return Harness(folder, tmp_path / "data")


def test_reader_scrolls_with_vim_keys_typed_without_pauses(tmp_path: Path) -> None:
    h = long_article(tmp_path)

    async def body(pilot: Pilot[Any]) -> None:
        reader = h.app.main.query_one(ReaderView)
        reader.focus()
        await settle(pilot)
        assert reader.scroll_y == 0 and reader.max_scroll_y > 50
        await pilot.press("j", "j", "j", "k")
        assert reader.scroll_y == 2
        await pilot.press("G")
        assert reader.scroll_y == reader.max_scroll_y
        await pilot.press("g")
        assert reader.scroll_y == 0
        half = reader.scrollable_content_region.height // 2
        await pilot.press("ctrl+d", "ctrl+d")
        assert reader.scroll_y == 2 * half
        await pilot.press("ctrl+u")
        assert reader.scroll_y == half

    run(h, body)


WIDE_TITLES = {
    "cjk.md": "東京で新しい顔認識システムが導入される予定について詳しく報道された",
    "zwj.md": "Family 👨‍👩‍👧‍👦 and flags 🏳️‍🌈 in a headline that is long enough to be clipped",
    "mixed.md": "Ａｌｌ ｆｕｌｌ ｗｉｄｔｈ — 한국어 제목도 길게 길게 길게 이어집니다",
}


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_list_rows_are_measured_in_cells(tmp_path: Path, size: tuple[int, int]) -> None:
    """Wide characters take two cells: every row fills the list exactly, date at the right."""
    folder = tmp_path / "news"
    folder.mkdir()
    for name, title in WIDE_TITLES.items():
        write_article(folder, name, title=yaml_str(title), date="2019-12-20T10:00:00Z")
    h = Harness(folder, tmp_path / "data")

    async def body(pilot: Pilot[Any]) -> None:
        articles = h.app.articles
        width = articles.scrollable_content_region.width
        for y in range(len(WIDE_TITLES)):
            strip = articles.render_line(y)
            assert strip.cell_length == width
            assert cell_len(strip.text) == width
            assert strip.text.endswith("20 Dec 19"), strip.text

    run(h, body, size=size)


def test_short_date_shows_the_year_only_when_it_is_not_this_year() -> None:
    now = datetime(2026, 3, 1, tzinfo=UTC)
    assert short_date(datetime(2026, 1, 5, tzinfo=UTC), now) == "05 Jan"
    assert short_date(datetime(2019, 12, 20, tzinfo=UTC), now) == "20 Dec 19"
    assert short_date(None, now) == ""


def test_titles_get_room_at_80x24(tmp_path: Path) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    title = "Headline-without-a-space-that-runs-past-forty-cells"
    write_article(folder, "a.md", title=yaml_str(title))
    h = Harness(folder, tmp_path / "data")

    async def body(pilot: Pilot[Any]) -> None:
        text = h.app.articles.render_line(0).text
        shown = text[2:].split("…")[0]
        assert len(shown) >= 23, text  # 21 before issue 22

    run(h, body, size=(80, 24))


HOSTILE = "evil\x1b]0;TITLE\x07\u202eand\nmore"


def shown_safely(text: str) -> None:
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "\\x1b]0;TITLE\\x07" in text and "\\u202e" in text and "\\n" in text


def test_problem_paths_are_shown_escaped(tmp_path: Path) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    (folder / f"{HOSTILE}.txt").write_bytes(bytes(range(256)) * 8 + b"\x00\x00\xff\xfe")
    h = Harness(folder, tmp_path / "data")

    async def body(pilot: Pilot[Any]) -> None:
        await pilot.press("P")
        await settle(pilot)
        screen = h.app.screen
        assert isinstance(screen, ProblemsScreen)
        options = screen.query_one("#problems-list", OptionList).options
        texts = [getattr(o.prompt, "plain", str(o.prompt)) for o in options]
        assert len(texts) == 1
        shown_safely(texts[0].split("\n")[0])

    run(h, body)


def test_copies_line_shows_paths_escaped(tmp_path: Path) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    for name in ("plain.md", f"{HOSTILE}.md"):
        write_article(folder, name, title='"Twice"', url="https://example.com/a", body="Body.")
    h = Harness(folder, tmp_path / "data")

    async def body(pilot: Pilot[Any]) -> None:
        reader = h.app.main.query_one(ReaderView)
        assert reader.article is not None and len(reader.article.paths) == 2
        text = plain(reader.query_one("#header", Static))
        line = next(x for x in text.split("\n") if "2 copies" in x)
        shown_safely(line)

    run(h, body)


def test_too_small_terminal_shows_a_message_then_the_panes_again(tmp_path: Path) -> None:
    h = Harness(copy_seeds(tmp_path), tmp_path / "data")

    async def body(pilot: Pilot[Any]) -> None:
        message = h.app.main.query_one("#too-small", Static)
        assert not message.display or not h.app.main.has_class("-tiny")
        assert "needs at least" not in screen_text(h.app)
        await pilot.resize_terminal(59, 20)
        await settle(pilot)
        assert await wait_until(
            pilot, lambda: "needs at least 60×15; this terminal is 59×20" in screen_text(h.app)
        )
        assert "Library" not in screen_text(h.app)
        await pilot.resize_terminal(60, 15)
        await settle(pilot)
        assert await wait_until(pilot, lambda: "Library" in screen_text(h.app))
        assert "needs at least" not in screen_text(h.app)

    run(h, body)


def test_too_small_at_start(tmp_path: Path) -> None:
    h = Harness(copy_seeds(tmp_path), tmp_path / "data")

    async def body(pilot: Pilot[Any]) -> None:
        assert await wait_until(pilot, lambda: "this terminal is 80×14" in screen_text(h.app))

    run(h, body, size=(80, 14))


def find_article(tmp_path: Path) -> Harness:
    folder = tmp_path / "news"
    folder.mkdir()
    paragraphs = [f"Filler paragraph {i} about nothing." for i in range(120)]
    paragraphs[5] = "The first koala is here, see [the zoo](https://zoo.example/a)."
    paragraphs[60] = "A second Koala sits in the middle, by [a tree](https://tree.example/b)."
    paragraphs[110] = "The last koala, near [the end](https://end.example/c)."
    write_article(folder, "koala.md", title='"Marsupials"', body="\n\n".join(paragraphs))
    return Harness(folder, tmp_path / "data")


def test_find_in_the_reader_typed_at_once_then_n_and_N(tmp_path: Path) -> None:
    h = find_article(tmp_path)

    async def body(pilot: Pilot[Any]) -> None:
        reader = h.app.main.query_one(ReaderView)
        reader.focus()
        await settle(pilot)
        await pilot.press("slash", *"koala", "enter")
        assert await wait_until(pilot, lambda: len(reader.hits) == 3)
        assert not h.app.main.query_one("#search").has_class("-active")  # not the list search

        def shown(block: MarkdownBlock) -> bool:
            return reader.region.y <= block.region.y < reader.region.bottom

        first = reader.hits[0][0]
        assert reader.hit == 0 and first.has_class("-find-current")
        await pilot.press("n")
        middle = reader.hits[1][0]
        assert reader.hit == 1 and middle.has_class("-find-current")
        assert not first.has_class("-find-current")
        assert await wait_until(pilot, lambda: shown(middle))  # scrolled to it
        await pilot.press("n", "n")
        assert reader.hit == 0  # wraps
        await pilot.press("N")
        assert reader.hit == 2
        assert await wait_until(pilot, lambda: shown(reader.hits[2][0]))
        # The hits are marked in the text itself.
        spans = reader.hits[2][0].content.spans
        assert any("reverse" in str(span.style) for span in spans)

    run(h, body)


def test_find_looks_in_the_header_of_a_front_matter_only_article(tmp_path: Path) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    write_article(folder, "a.md", title='"Koalas at the zoo"', url="https://zoo.example/k")
    h = Harness(folder, tmp_path / "data")

    async def body(pilot: Pilot[Any]) -> None:
        reader = h.app.main.query_one(ReaderView)
        reader.focus()
        await pilot.press("slash", *"koala", "enter")
        assert await wait_until(pilot, lambda: len(reader.hits) == 1)
        assert reader.hits[0][0].id == "header"

    run(h, body)


def test_n_without_a_find_still_moves_to_the_next_unread(tmp_path: Path) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    for i in range(3):
        write_article(folder, f"{i}.md", title=f'"Story {i}"', date=f"2022-01-0{i + 1}T10:00:00Z")
    h = Harness(folder, tmp_path / "data")

    async def body(pilot: Pilot[Any]) -> None:
        reader = h.app.main.query_one(ReaderView)
        before = h.current_id()
        reader.focus()
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert h.current_id() != before

    run(h, body)


def test_links_are_numbered_inline_as_f_numbers_them(tmp_path: Path) -> None:
    h = find_article(tmp_path)

    async def body(pilot: Pilot[Any]) -> None:
        reader = h.app.main.query_one(ReaderView)
        text = "\n".join(
            b.content.plain for b in reader.query(MarkdownBlock) if isinstance(b.content, Content)
        )
        for number, (label, _) in enumerate(reader.links, 1):
            assert f"{label} [{number}]" in text, (label, number)
        assert [url for _, url in reader.links] == [
            "https://zoo.example/a",
            "https://tree.example/b",
            "https://end.example/c",
        ]

    run(h, body)


def test_series_branch_lists_series_and_opens_one(tmp_path: Path) -> None:
    from test_series import events, newsletter

    folder = tmp_path / "news"
    folder.mkdir()
    newsletter(folder, range(12))
    events(folder)
    h = Harness(folder, tmp_path / "data")

    async def body(pilot: Pilot[Any]) -> None:
        tree = h.app.main.query_one(TopicTree)
        assert await wait_until(pilot, lambda: tree.node_named("Series: Daily Brief") is not None)
        titles = [str(n.label) for n in tree.root.children]
        stories = next(i for i, t in enumerate(titles) if t.startswith("Stories"))
        assert titles[stories + 1] == "Series (1)"
        node = tree.node_named("Series: Daily Brief")
        assert node is not None and "12/12" in str(node.label)
        assert node.parent is not None
        node.parent.expand()  # as a user opens the branch
        tree.focus()
        await settle(pilot)
        tree.move_cursor(node)
        await pilot.press("enter")
        await settle(pilot)
        assert h.app.articles.border_title == "Series: Daily Brief"
        assert len(h.app.articles.rowids) == 12

    run(h, body)


def test_no_series_branch_when_there_are_none(tmp_path: Path) -> None:
    h = Harness(copy_seeds(tmp_path), tmp_path / "data")

    async def body(pilot: Pilot[Any]) -> None:
        tree = h.app.main.query_one(TopicTree)
        assert not any(str(n.label).startswith("Series") for n in tree.root.children)

    run(h, body)
