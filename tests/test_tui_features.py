"""What the README promises of the reader, driven through the Pilot on a copy of the seeds: the
``e`` export, the ``browser`` setting and ``$BROWSER`` for ``o``, ``mark_read_on_open = false``,
``reader_max_width``, ``NO_COLOR``, the tree's Stories branch and "Similar in your library".

Settings come from a config file named by ``NEWSREADER_CONFIG``, read as the app reads it. The
browsers are real programs: small scripts that record the argv they were given.
"""

from __future__ import annotations

import shlex
import webbrowser
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Static, Tree

import newsreader.tui.screens.state as tui_state
from newsreader import config
from newsreader.ingest.urls import safe_url
from tui_support import (
    Harness,
    copy_seeds,
    plain,
    press,
    run,
    screen_lines,
    screen_text,
    settle,
    wait_until,
    write_article,
    yaml_str,
)

TITLES = {
    "000": "Internal Affairs used facial recognition software against NYPD cops: email",
    "001": "The NYPD used a controversial facial recognition tool. Here’s what you need to know.",
    "002": "Internal Affairs Used Clearview To Identify Two NYPD Officers Caught Drinking On The Job",
    "003": "NYPD Leveraged Clearview AI – a Controversial Facial Recognition Technology",
    "004": "Investigation reveals NYPD may use more facial recognition cameras in neighborhoods of color",
}
STORY = ("000", "001", "002", "003")

#: A URL the check changes (host case, default port, a non-ASCII path, a ``"``): the browser
#: must be given the checked form, never this.
RAW_URL = 'HTTPS://Example.COM:443/caf\u00e9/a"b?q=\u00fc#top'


@pytest.fixture(autouse=True)
def _private_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test reads its own config file (none unless it writes one), never the user's."""
    monkeypatch.setenv("NEWSREADER_CONFIG", str(tmp_path / "config.toml"))


@pytest.fixture
def h(tmp_path: Path) -> Harness:
    return Harness(copy_seeds(tmp_path), tmp_path / "data")


def configured(tmp_path: Path, toml: str, folder: Path | None = None) -> Harness:
    """A harness whose app runs with the settings of a config file (``NEWSREADER_CONFIG``)."""
    path = tmp_path / "config.toml"
    path.write_text(toml, encoding="utf-8")
    h = Harness(folder or copy_seeds(tmp_path), tmp_path / "data")
    h.app.config = config.load()
    assert h.app.config.path == path and h.app.config.problems == []
    return h


async def open_seed(h: Harness, pilot: Pilot[Any], seed: str) -> None:
    """Put the list cursor on a seed and press Enter: the reader shows it, focused."""
    h.app.articles.focus()
    h.app.articles.cursor = h.list_ids().index(h.ids_by_seed()[seed])
    await settle(pilot)
    await press(pilot, "enter")
    assert h.app.main.article is not None and h.app.main.article.id == h.ids_by_seed()[seed]


def list_titles(h: Harness) -> list[str]:
    return [r.title for r in h.lib.rows(h.app.articles.rowids)]


def markdown_titles(text: str) -> list[str]:
    """The ``# title`` line of each article of a Markdown export, in order."""
    return [line[2:] for line in text.splitlines() if line.startswith("# ")]


async def prompt(pilot: Pilot[Any]) -> tuple[str, Input]:
    """The question and the input of the prompt on top of the screen."""
    app = pilot.app
    assert await wait_until(pilot, lambda: bool(app.screen.query(Input)))
    question = plain(app.screen.query_one(Static))
    return question, app.screen.query_one(Input)


# -- e: export ----------------------------------------------------------------------------------------


def test_e_in_the_reader_saves_the_article_as_markdown_in_the_current_folder(
    h: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)

    async def body(pilot: Pilot[Any]) -> None:
        await open_seed(h, pilot, "002")
        assert h.app.focused is h.app.main.reader
        await press(pilot, "e")
        question, field = await prompt(pilot)
        assert question == "Save this article as Markdown to:"
        # The default: a file named after the title, in the folder the reader was started in.
        default = Path(field.value)
        assert default.parent == here and default.suffix == ".md"
        assert default.stem.startswith("internal-affairs-used-clearview")
        await press(pilot, "enter")
        assert await wait_until(pilot, lambda: any(n.startswith("Saved") for n in h.notes))
        assert f"Saved 1 article(s) to {default}" in h.notes
        assert list(here.iterdir()) == [default]
        text = default.read_text(encoding="utf-8")
        assert markdown_titles(text) == [TITLES["002"]]
        assert "One day after the hero cop" in text
        assert "\n---\n" not in text  # one article, no separator

    run(h, body)


def test_e_with_the_list_focused_saves_every_article_of_the_list_where_asked(
    h: Harness, tmp_path: Path
) -> None:
    target = tmp_path / "out" / "everything.md"
    target.parent.mkdir()

    async def body(pilot: Pilot[Any]) -> None:
        h.app.articles.focus()
        await press(pilot, "e")
        question, field = await prompt(pilot)
        assert question == "Save the 5 articles in this list as Markdown to:"
        field.value = str(target)
        await press(pilot, "enter")
        assert await wait_until(pilot, lambda: target.exists())
        await settle(pilot)
        text = target.read_text(encoding="utf-8")
        assert markdown_titles(text) == list_titles(h)  # in the list's order
        assert sorted(markdown_titles(text)) == sorted(TITLES.values())
        assert f"Saved 5 article(s) to {target}" in h.notes

    run(h, body)


def test_escape_at_the_export_prompt_writes_nothing(
    h: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)

    async def body(pilot: Pilot[Any]) -> None:
        await open_seed(h, pilot, "000")
        await press(pilot, "e")
        await prompt(pilot)
        await press(pilot, "escape")
        assert await wait_until(
            pilot, lambda: not h.app.screen.query(Input).filter("#prompt-input")
        )
        assert list(here.iterdir()) == []
        assert not any(n.startswith("Saved") for n in h.notes)

    run(h, body)


# -- o: the browser setting and $BROWSER -----------------------------------------------------------------


class Recorder:
    """A browser: an executable script that appends each argument it is given to a log."""

    def __init__(self, folder: Path, name: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.log = folder / f"{name}.log"
        self.path = folder / f"{name}.sh"
        self.path.write_text(
            "#!/bin/sh\n"
            f'for a in "$@"; do printf \'%s\\n\' "$a" >> {shlex.quote(str(self.log))}; done\n'
        )
        self.path.chmod(0o755)

    @property
    def argv(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []


def test_o_runs_the_browser_setting_before_dollar_browser_with_the_checked_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked = safe_url(RAW_URL)
    assert checked is not None and checked != RAW_URL
    folder = copy_seeds(tmp_path)
    write_article(folder, "900_odd_url.md", title='"An odd URL"', url=yaml_str(RAW_URL), body="Hi.")
    setting = Recorder(tmp_path / "bin", "setting")
    env = Recorder(tmp_path / "bin", "env")
    monkeypatch.setenv("BROWSER", f"{env.path} %s")
    # webbrowser reads $BROWSER once per process: forget what an earlier test left, as a fresh
    # start would (monkeypatch puts it back afterwards).
    monkeypatch.setattr(webbrowser, "_tryorder", None)
    monkeypatch.setattr(webbrowser, "_browsers", {})
    h = configured(
        tmp_path, f"browser = {yaml_str(f'{setting.path} --new-window %s --private')}\n", folder
    )

    async def body(pilot: Pilot[Any]) -> None:
        h.app.articles.focus()
        h.app.articles.cursor = list_titles(h).index("An odd URL")
        await settle(pilot)
        await press(pilot, "enter", "o")
        assert await wait_until(pilot, lambda: f"Opened {checked}" in h.notes)
        # The setting wins over $BROWSER; %s became the URL, in its place among the arguments.
        assert setting.argv == ["--new-window", checked, "--private"]
        assert env.argv == []
        # With the setting empty, $BROWSER is used, %s replaced the same way.
        h.app.config.browser = ""
        await press(pilot, "o")
        assert await wait_until(pilot, lambda: len(env.argv) == 1)
        assert env.argv == [checked]
        assert setting.argv == ["--new-window", checked, "--private"]

    run(h, body)


def test_a_link_clicked_in_the_body_reaches_the_browser_checked(tmp_path: Path) -> None:
    """A body link is not checked at ingest (it is Markdown text): the reader's own check is
    all that stands between it and the browser."""
    checked = safe_url(RAW_URL)
    folder = copy_seeds(tmp_path)
    text = f"See [the page]({RAW_URL}) here.\n\nMore text."
    write_article(folder, "900_odd_link.md", title='"An odd link"', body=text)
    setting = Recorder(tmp_path / "bin", "setting")
    h = configured(tmp_path, f"browser = {yaml_str(f'{setting.path} %s')}\n", folder)

    async def body(pilot: Pilot[Any]) -> None:
        h.app.articles.focus()
        h.app.articles.cursor = list_titles(h).index("An odd link")
        await settle(pilot)
        await press(pilot, "enter")
        lines = screen_lines(h.app)
        y = next(i for i, line in enumerate(lines) if "See the page here." in line)
        x = lines[y].index("the page") + 2
        await pilot.click(offset=(x, y))
        await settle(pilot)
        assert await wait_until(pilot, lambda: f"Opened {checked}" in h.notes)
        assert setting.argv == [checked]

    run(h, body, size=(160, 40))


# -- mark_read_on_open -----------------------------------------------------------------------------------


@pytest.mark.parametrize("marks", [True, False], ids=["true", "false"])
def test_mark_read_on_open_from_the_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, marks: bool
) -> None:
    """Enter marks an article read, and so does resting on one: both only when the setting is
    true (the ``true`` case shows the same steps do mark, so ``false`` is seen to stop them)."""
    monkeypatch.setattr(tui_state, "READ_AFTER", 0.05)  # the dwell, shortened from 1 s
    h = configured(tmp_path, f"mark_read_on_open = {str(marks).lower()}\n")

    async def body(pilot: Pilot[Any]) -> None:
        ids = h.ids_by_seed()
        await open_seed(h, pilot, "001")  # Enter
        await settle(pilot)
        assert h.lib.is_read(ids["001"]) is marks
        # Back to the list, onto another article, and rest there.
        h.app.articles.focus()
        await press(pilot, "j")
        rested = h.list_ids()[h.app.articles.cursor]
        assert rested != ids["001"]
        assert await wait_until(pilot, lambda: h.app.main.article.id == rested)  # type: ignore[union-attr]
        if marks:
            assert await wait_until(pilot, lambda: h.lib.is_read(rested))
        else:
            await pilot.pause(0.25)  # five times the dwell
        await settle(pilot)
        assert h.lib.is_read(rested) is marks
        unread = 5 - 2 * marks
        assert [h.lib.is_read(i) for i in ids.values()].count(False) == unread
        assert f"Unread  {unread}" in screen_text(h.app)

    run(h, body)


# -- reader_max_width ------------------------------------------------------------------------------------

BLOCKS = {chr(c) for c in range(0x2580, 0x25A0)}  # scroll bar glyphs


def text_span(h: Harness) -> int:
    """How many columns the reader's text takes on screen, from its leftmost character to its
    rightmost (scroll bar glyphs left out)."""
    region = h.app.query_one("#reader").content_region
    starts, ends = [], []
    for line in screen_lines(h.app)[region.y : region.bottom]:
        text = "".join(" " if c in BLOCKS else c for c in line[region.x : region.right]).rstrip()
        if text.strip():
            starts.append(len(text) - len(text.lstrip()))
            ends.append(len(text))
    return max(ends) - min(starts)


@pytest.mark.parametrize("width", [40, 88, 120])
def test_reader_max_width_bounds_the_text_lines(tmp_path: Path, width: int) -> None:
    h = configured(tmp_path, f"reader_max_width = {width}\n")

    async def body(pilot: Pilot[Any]) -> None:
        await open_seed(h, pilot, "002")
        await press(pilot, "z")  # the reader takes the whole screen: 160 columns, more than 120
        assert h.app.query_one("#reader").content_region.width > 130
        span = text_span(h)
        # Lines wrap at words, so the longest comes within a word of the bound.
        assert width - 12 < span <= width

    run(h, body, size=(160, 40))


# -- NO_COLOR --------------------------------------------------------------------------------------------


def screen_colours(h: Harness) -> set[tuple[int, int, int]]:
    """Every foreground and background colour on the screen, as RGB."""
    found = set()
    for strip in h.app.screen._compositor.render_strips():
        for segment in strip:
            style = segment.style
            for colour in (style.color, style.bgcolor) if style else ():
                if colour is not None:
                    rgb = colour.get_truecolor()
                    found.add((rgb.red, rgb.green, rgb.blue))
    return found


@pytest.mark.parametrize("no_color", [True, False], ids=["NO_COLOR", "colour"])
def test_no_color_draws_the_app_in_greys_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_color: bool
) -> None:
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    else:
        monkeypatch.delenv("NO_COLOR", raising=False)
    h = Harness(copy_seeds(tmp_path), tmp_path / "data")

    async def body(pilot: Pilot[Any]) -> None:
        await open_seed(h, pilot, "000")
        colours = screen_colours(h)
        assert len(colours) > 3  # the screen is drawn, in shades at least
        hues = {c for c in colours if len(set(c)) > 1}
        assert (hues == set()) is no_color, sorted(hues)[:5]

    run(h, body)


# -- stories and similar articles ------------------------------------------------------------------------


def test_the_tree_lists_the_nypd_story_and_choosing_it_lists_its_reports(h: Harness) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        text = screen_text(h.app)
        assert "▼ Stories (1)" in text
        tree = h.app.query_one("#tree", Tree)
        tree.focus()
        await press(pilot, "g")
        for _ in range(tree.last_line + 1):  # down the tree with j to the story
            if str(tree.cursor_node.label).startswith("4 · "):  # type: ignore[union-attr]
                break
            await press(pilot, "j")
        label = str(tree.cursor_node.label)  # type: ignore[union-attr]
        assert label == f"4 · {TITLES['000']}"
        assert "└ 4 · Internal Affairs used facial recognition" in screen_text(h.app)
        await press(pilot, "enter")
        assert sorted(list_titles(h)) == sorted(TITLES[s] for s in STORY)
        assert TITLES["004"] not in list_titles(h)
        assert str(h.app.articles.border_title).startswith("Story: ")

    run(h, body)


def related_texts(h: Harness) -> list[str]:
    options = h.app.query_one("#related", OptionList).options
    return [getattr(o.prompt, "plain", str(o.prompt)) for o in options]


def test_similar_in_your_library_lists_the_story_for_the_camera_piece(h: Harness) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        await open_seed(h, pilot, "004")
        texts = related_texts(h)
        at = texts.index("Similar in your library (3)")
        entries = [t for t in texts[at + 1 :] if t.startswith("● in library  ")]
        similar = [t.removeprefix("● in library  ").split("\n")[0] for t in entries]
        assert len(similar) == 3
        assert set(similar) == {
            TITLES["000"],
            TITLES["001"],
            TITLES["003"],
        }
        # On screen, at the end of the related pane, and Enter opens the last one.
        related = h.app.query_one("#related", OptionList)
        related.focus()
        await press(pilot, "G")
        pane = related.content_region
        shown = "\n".join(line[pane.x : pane.right] for line in screen_lines(h.app))
        assert "Similar in your library (3)" in shown
        await press(pilot, "enter")
        article = h.app.main.article
        assert article is not None and article.title == similar[-1]

    run(h, body, size=(160, 50))


def test_an_article_of_the_story_has_the_camera_piece_as_similar(h: Harness) -> None:
    async def body(pilot: Pilot[Any]) -> None:
        await open_seed(h, pilot, "000")
        texts = related_texts(h)
        assert "Same story (3)" in texts
        at = texts.index("Similar in your library (1)")
        assert texts[at + 1].startswith(f"● in library  {TITLES['004']}\n")

    run(h, body)
