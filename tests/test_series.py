"""Stories are events, not series (issue 19 item 2): a daily newsletter whose issues share a
templated title and a boilerplate body is a series, never a story; stories keep a short window
whatever chains their reports; story titles never show template code."""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from newsreader.library import grouping, series, signing, stories
from newsreader.library.grouping import Doc
from newsreader.library.library import Library
from newsreader.model import View

WINDOW = signing.STORY_WINDOW_DAYS * 86400

#: What every issue of the newsletter repeats: its sections, its sign-off and its footer.
BOILERPLATE = (
    "Good morning from the Morning Wire desk. Here is what you need to know today, in five "
    "minutes. Learning of the day: our editors pick one idea worth keeping. Community corner: "
    "readers write in with questions for the Morning Wire team. Forward this newsletter to a "
    "friend, and manage your subscription preferences or unsubscribe at any time. Morning Wire "
    "is published by Harbour Street Media, 12 Harbour Street, Portsmouth."
)
#: Each issue's own item: different news every day.
ITEMS = [
    "a sourdough bakery in Lisbon",
    "the comet Tsuchinshan over Chile",
    "a new tram line in Bergen",
    "the Danube cycle path",
    "volcanic glass from Lipari",
    "the oldest library in Fez",
    "a jazz festival in Montreux",
    "salt marshes of the Camargue",
    "glacier retreat on Kilimanjaro",
    "the Hubble deep field",
]

FLOOD = [
    (
        "f1",
        "Flood closes the Europa bridge near Innsbruck",
        "The Inn river burst its banks and the Tyrol authorities closed the Europa bridge on the "
        "Brenner motorway. Mayor Georg Willi said Innsbruck firefighters evacuated residents from "
        "Wilten and Pradl. Trucks queued at the Brenner pass.",
        "2021-03-08",
    ),
    (
        "f2",
        "Brenner motorway stays shut as Inn flood peaks in Innsbruck",
        "Firefighters in Innsbruck fought the Inn flood for a second day while the Europa bridge "
        "on the Brenner motorway stayed closed. Georg Willi, the mayor, said residents of Wilten "
        "and Pradl could not yet return. Lorries waited at the Brenner pass.",
        "2021-03-09",
    ),
    (
        "f3",
        "Europa bridge reopens after Innsbruck flood",
        "Tyrol reopened the Europa bridge on the Brenner motorway after the Inn flood receded. "
        "Mayor Georg Willi thanked Innsbruck firefighters; residents of Wilten and Pradl began "
        "cleaning flooded cellars. Traffic over the Brenner pass returned to normal.",
        "2021-03-11",
    ),
]
RECALL = [
    (
        "r1",
        "Volta Motors recalls 40,000 scooters over battery fires",
        "Volta Motors is recalling 40,000 Zephyr electric scooters after battery packs caught "
        "fire in Lyon and Marseille. The Grenoble company said a faulty cell from supplier "
        "Kestrel Energy overheats while charging.",
        "2021-03-20",
    ),
    (
        "r2",
        "Zephyr scooter fires: what Volta Motors owners must do",
        "After the Zephyr battery fires in Lyon and Marseille, Volta Motors told owners to stop "
        "charging the scooters. The Grenoble firm blames a Kestrel Energy cell that overheats; "
        "the recall covers 40,000 Zephyr scooters.",
        "2021-03-21",
    ),
]


def write(
    folder: Path,
    name: str,
    title: str,
    body: str,
    day: str,
    provider: str = "Example News",
    related: list[str] | None = None,
) -> None:
    """A front-matter article like the seeds."""
    lines = [
        "---",
        f'title: "{title}"',
        f"publishedDateTime: {day}T07:00:00Z",
        f'webUrl: "https://{provider.replace(" ", "").lower()}.example/{name}"',
        "type: article",
        "provider:",
        f"  name: {provider}",
        "  domain: " + provider.replace(" ", "").lower() + ".example",
    ]
    if related:
        lines += ["related:", *[f'  - title: "Related"\n    webUrl: "{u}"' for u in related]]
    lines += ["---", "", body, ""]
    (folder / f"{name}.md").write_text("\n".join(lines), encoding="utf-8")


def newsletter(folder: Path, issues: range, provider: str = "Morning Wire") -> None:
    """Daily issues from 2021-03-01: a dated, numbered title and the boilerplate body."""
    for k in issues:
        day = date(2021, 3, 1) + timedelta(days=k)
        title = f"Daily Brief — {day:%B} {day.day}, {day.year} (issue #{400 + k})"
        # Each issue recaps yesterday's item: consecutive issues share rare words, the chain
        # single-link grouping followed through a whole newsletter.
        body = (
            f"{BOILERPLATE} Yesterday: {ITEMS[(k - 1) % len(ITEMS)]}."
            f" Today: {ITEMS[k % len(ITEMS)]}, issue {400 + k}."
        )
        write(folder, f"n{k:02d}", title, body, day.isoformat(), provider)


def events(folder: Path) -> None:
    """Two real events, each a few reports within days."""
    for name, title, body, day in [*FLOOD, *RECALL]:
        write(folder, name, title, body, day)


def _open(folder: Path, data: Path) -> Library:
    library = Library.open(folder, data)
    library.sync(workers=1)
    return library


def _names(conn: sqlite3.Connection, rowids: list[int]) -> set[str]:
    return {
        Path(conn.execute("SELECT path FROM articles WHERE rowid = ?", (r,)).fetchone()[0]).stem
        for r in rowids
    }


def _stories(conn: sqlite3.Connection) -> list[set[str]]:
    return [
        _names(conn, stories.story_members(conn, sid)) for sid, *_ in stories.stories(conn, 100)
    ]


def _spans(conn: sqlite3.Connection) -> list[float]:
    return [
        r[0]
        for r in conn.execute(
            "SELECT max(a.published) - min(a.published) FROM stories s"
            " JOIN articles a ON a.rowid = s.article GROUP BY s.story"
        )
        if r[0] is not None
    ]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    out = tmp_path / "news"
    out.mkdir()
    newsletter(out, range(30))
    events(out)
    return out


@pytest.fixture
def library(folder: Path, tmp_path: Path) -> Iterator[Library]:
    lib = _open(folder, tmp_path / "data")
    yield lib
    lib.close()


def test_a_daily_newsletter_is_a_series_and_no_story(library: Library) -> None:
    conn = library.conn
    found = _stories(conn)
    assert {"f1", "f2", "f3"} in found
    assert {"r1", "r2"} in found
    assert not any(name.startswith("n") for story in found for name in story), found
    (only,) = library.series()
    assert (only.title, only.size, only.unread) == ("Daily Brief", 30, 30)


def test_no_story_spans_more_than_the_window(library: Library) -> None:
    assert _spans(library.conn) and max(_spans(library.conn)) <= WINDOW


def test_the_series_view_lists_its_issues_with_unread_counts(library: Library) -> None:
    (only,) = library.series()
    ids = library.article_ids(View(series=only.id))
    assert len(ids) == 30
    assert _names(library.conn, library.rowids(View(series=only.id))) == {
        f"n{k:02d}" for k in range(30)
    }
    library.set_read(ids[:4])
    assert library.series()[0].unread == 26
    assert library.count(View(series=only.id, unread=True)) == 26


def test_boilerplate_gets_no_weight_but_each_issue_keeps_its_news(library: Library) -> None:
    conn = library.conn
    group = (series.TITLE, "morning wire\x1fdaily brief issue")
    found = series.find_boilerplate(conn, group)
    assert {"subscription", "unsubscribe", "harbour", "portsmouth", "daily", "brief"} <= found
    assert not found & {"sourdough", "lisbon", "comet", "bergen", "danube"}
    issue = conn.execute("SELECT rowid FROM articles WHERE path LIKE '%/n00.md'").fetchone()[0]
    vector = conn.execute("SELECT vector FROM story_docs WHERE article = ?", (issue,)).fetchone()
    assert "lisbon" in vector[0] and "unsubscribe" not in vector[0]


def test_a_newsletter_sharing_the_events_source_changes_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    newsletter(folder, range(30), provider="Example News")
    events(folder)
    library = _open(folder, tmp_path / "data")
    conn = library.conn
    found = _stories(conn)
    assert sorted(found, key=len) == [{"r1", "r2"}, {"f1", "f2", "f3"}]
    assert [s.size for s in library.series()] == [30]
    library.close()


def test_issues_arriving_one_sync_at_a_time_match_a_rebuild(tmp_path: Path) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    events(folder)
    newsletter(folder, range(2))  # two days: not a series yet
    library = _open(folder, tmp_path / "data")
    conn = library.conn
    assert library.series() == []
    for k in range(2, 12):
        newsletter(folder, range(k, k + 1))
        library.sync(workers=1)
    incremental = sorted(conn.execute("SELECT article, story FROM stories").fetchall())
    titles = conn.execute("SELECT * FROM series_index").fetchall()
    members = sorted(conn.execute("SELECT * FROM series").fetchall())
    boiler = sorted(conn.execute("SELECT * FROM story_boilerplate").fetchall())
    assert [s.size for s in library.series()] == [12]
    assert boiler  # 12 issues: the title group now has boilerplate
    stories.update(conn, None)
    assert sorted(conn.execute("SELECT article, story FROM stories").fetchall()) == incremental
    assert conn.execute("SELECT * FROM series_index").fetchall() == titles
    assert sorted(conn.execute("SELECT * FROM series").fetchall()) == members
    assert sorted(conn.execute("SELECT * FROM story_boilerplate").fetchall()) == boiler
    library.close()


def test_a_chain_of_close_reports_cannot_stretch_a_story(tmp_path: Path) -> None:
    """Each report is two days after the last and shares its words, as a running story's
    follow-ups do: single-link chaining made one story of all ten (18 days)."""
    folder = tmp_path / "news"
    folder.mkdir()
    leads = [
        "Striking dock workers at the port of Antwerp kept the Kallo container terminal shut",
        "The Antwerp dock strike led by union leader Marieke Claes closed the Kallo terminal",
        "Marieke Claes said Antwerp dockers would keep the Kallo container terminal shut",
    ]
    heads = ["Strike shuts", "Walkout hits", "Union widens", "Pickets block", "Talks fail at"]
    for k in range(10):
        day = date(2022, 5, 1) + timedelta(days=2 * k)
        title = (
            f"{heads[k % 5]} Antwerp docks as the {'Kallo' if k < 5 else 'port'} stoppage goes on"
        )
        body = f"{leads[k % 3]}. Shipping lines diverted {k + 3} vessels to Rotterdam."
        write(folder, f"d{k}", title, body, day.isoformat())
    library = _open(folder, tmp_path / "data")
    conn = library.conn
    spans = _spans(conn)
    assert spans and max(spans) <= WINDOW
    assert sum(len(s) for s in _stories(conn)) >= 8  # the reports still group, a week at a time
    library.close()


def test_merge_keeps_the_window_and_the_strongest_edges() -> None:
    day = 86400
    published: dict[int, int | None] = {1: 0, 2: 4 * day, 3: 8 * day, 4: None}
    edges = [(0.5, 1, 2), (0.9, 2, 3), (0.6, 3, 4), (0.4, 1, 4)]
    # 2-3 is strongest and joins first; 1 then cannot join (0 to 8 days); 4 (undated) joins 3.
    assert grouping.merge(edges, published, {}) == [[2, 3, 4]]
    # Two issues of one series never share a story, whatever links them.
    assert grouping.merge([(0.9, 1, 2)], published, {1: "s", 2: "s"}) == []


def test_undated_articles_join_only_on_their_text() -> None:
    day = 86400
    assert signing.story_score(0.15, True, 0, day) >= signing.STORY_MIN  # dated: a link helps
    assert signing.story_score(0.15, True, None, day) < signing.STORY_MIN  # undated: it does not
    assert signing.story_score(0.35, False, None, day) >= signing.STORY_MIN
    assert signing.story_score(0.9, False, 0, 8 * day) == 0.0  # past the window: no edge


def test_story_titles_never_show_template_code(tmp_path: Path) -> None:
    library = Library.open(tmp_path / "news", tmp_path / "data")
    conn = library.conn
    template = '{ "value": [ {%- capture topics %}{{ page.topics }}{% endcapture %} ] }'
    group = [
        Doc(1, "a", "Flood closes the Europa bridge", 100, True, {}, []),
        Doc(2, "b", template, 200, True, {}, []),
    ]
    with conn:
        grouping.store_stories(conn, [group])
        grouping.store_stories(conn, [[Doc(3, "c", template, 300, True, {}, [])] * 2])
    titles = [r[0] for r in conn.execute("SELECT title FROM story_index ORDER BY story")]
    assert titles[0] == "Flood closes the Europa bridge"
    assert not series.has_template(titles[1]) and "page.topics" not in titles[1]
    library.close()


@pytest.mark.parametrize(
    ("title", "clean"),
    [
        ("Daily Brief — March 3, 2021", "Daily Brief"),
        ("Learning of the day #412", "Learning of the day"),
        ("Weekly digest: 2021-03-03", "Weekly digest"),
        ("Mon 3 Mar: The Morning Edition", "The Morning Edition"),
    ],
)
def test_series_titles_are_shown_without_dates_or_numbers(title: str, clean: str) -> None:
    assert series.clean_title(title) == clean
    assert series.pattern(title) == series.pattern(clean)


def test_the_seeds_have_no_series_and_keep_their_story(tmp_path: Path) -> None:
    seeds = Path(__file__).resolve().parent.parent / "seeds"
    library = _open(seeds, tmp_path / "data")
    conn = library.conn
    assert library.series() == []
    assert conn.execute("SELECT count(*) FROM story_boilerplate").fetchone()[0] == 0
    found = _stories(conn)
    assert [sorted(name[:3] for name in story) for story in found] == [["000", "001", "002", "003"]]
    library.close()


def test_a_boilerplate_change_signs_again_only_the_articles_it_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A term crossing the boilerplate share (and back) changes the vectors of its carriers
    only: the other issues of the group are not signed again, and the result is a rebuild's."""
    folder = tmp_path / "news"
    folder.mkdir()
    events(folder)
    newsletter(folder, range(30))
    aside = " Our Zanzibar correspondent filed from Stone Town."

    def carry(k: int, carries: bool) -> None:
        path = folder / f"n{k:02d}.md"
        text = path.read_text(encoding="utf-8").replace(aside, "")
        path.write_text(text.rstrip("\n") + (aside if carries else "") + "\n", encoding="utf-8")

    carriers = list(range(0, 28, 2))  # 14 of 30 issues, over four weeks: under the share
    for k in carriers:
        carry(k, True)
    library = _open(folder, tmp_path / "data")
    conn = library.conn
    group = (series.TITLE, "morning wire\x1fdaily brief issue")
    assert "zanzibar" not in series.find_boilerplate(conn, group)
    seen: list[grouping.StoryStats] = []
    real = stories.update

    def update(conn: sqlite3.Connection, changed: set[int] | None) -> grouping.StoryStats:
        seen.append(real(conn, changed))
        return seen[-1]

    monkeypatch.setattr(stories, "update", update)
    for carries in (True, False):  # issue 1 joins the carriers (15 of 30), then leaves again
        carry(1, carries)
        library.sync(workers=1)
        found = series.find_boilerplate(conn, group)
        assert ("zanzibar" in found) is carries
        # The 14 carriers and issue 1 itself; the 15 other issues keep their vectors.
        assert seen[-1].signed == len(carriers) + 1
        incremental = [_story_tables(conn), _stories(conn)]
        real(conn, None)
        assert [_story_tables(conn), _stories(conn)] == incremental
    library.close()


def _story_tables(conn: sqlite3.Connection) -> list[list[tuple[object, ...]]]:
    tables = ("stories", "story_index", "similar", "inferred_topics", "story_docs", "story_keys")
    return [sorted(conn.execute(f"SELECT * FROM {table}").fetchall()) for table in tables]


def test_boilerplate_is_found_again_without_tokenising_unchanged_articles(
    library: Library, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sampled articles' terms are kept: an edited issue is tokenised again, its 29
    unchanged siblings are not, and the edit still counts (a stale term would hide it)."""
    conn = library.conn
    group = (series.TITLE, "morning wire\x1fdaily brief issue")
    assert "zanzibar" not in series.find_boilerplate(conn, group)
    calls: list[str] = []
    real = series.term_counts

    def counted(title: str, excerpt: str, body: str) -> Counter[str]:
        calls.append(title)
        return real(title, excerpt, body)

    monkeypatch.setattr(series, "term_counts", counted)
    assert "zanzibar" not in series.find_boilerplate(conn, group)
    assert calls == []
    for k in range(16):  # over half the issues now name Zanzibar, over two weeks
        path = folder / f"n{k:02d}.md"
        path.write_text(path.read_text(encoding="utf-8") + "Zanzibar.\n", encoding="utf-8")
    library.sync(workers=1)
    assert len(calls) == 16
    assert "zanzibar" in series.find_boilerplate(conn, group)
    assert len(calls) == 16
