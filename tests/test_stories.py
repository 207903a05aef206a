"""Stories, similar articles and inferred topics, on the seeds and on articles written here."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from newsreader.library import signing, stories
from newsreader.library.library import Library

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def article(
    folder: Path,
    name: str,
    title: str,
    body: str,
    *,
    date: str | None,
    topics: list[str] | None = None,
    url: str | None = None,
    related: list[str] | None = None,
) -> None:
    """Write a front-matter article like the seeds (or a plain-text dump without ``date``)."""
    if date is None:
        (folder / f"{name}.txt").write_text(f"{title}\n\n{body}\n", encoding="utf-8")
        return
    lines = [
        "---",
        f'title: "{title}"',
        f'excerpt: "{body.split(". ")[0]}."',
        f"publishedDateTime: {date}T09:00:00Z",
        f'webUrl: "{url or "https://news.example/" + name}"',
        "type: article",
        "provider:",
        "  name: Example News",
        "  domain: news.example",
    ]
    if topics:
        lines += ["topics:", *[f"  - {t}" for t in topics]]
    if related:
        lines += ["related:"]
        for link in related:
            lines += [f'  - title: "Related {link}"', f'    webUrl: "{link}"']
    lines += ["---", "", body, ""]
    (folder / f"{name}.md").write_text("\n".join(lines), encoding="utf-8")


FLOOD = [
    (
        "a1",
        "Flood closes the Europa bridge near Innsbruck",
        "The Inn river burst its banks on Monday and the Tyrol authorities closed the Europa "
        "bridge on the Brenner motorway. Mayor Georg Willi said Innsbruck firefighters evacuated "
        "two hundred residents from Wilten and Pradl. Trucks queued for miles at the Brenner pass.",
        "2023-08-28",
    ),
    (
        "a2",
        "Brenner motorway stays shut as Inn flood peaks in Innsbruck",
        "Firefighters in Innsbruck fought the Inn flood for a second day while the Europa bridge "
        "on the Brenner motorway stayed closed. Georg Willi, the mayor, said residents of Wilten "
        "and Pradl could not yet return. Lorries waited at the Brenner pass into Italy.",
        "2023-08-29",
    ),
    (
        "a3",
        "Europa bridge reopens after Innsbruck flood",
        "Tyrol reopened the Europa bridge on the Brenner motorway on Friday after the Inn flood "
        "receded. Mayor Georg Willi thanked Innsbruck firefighters; residents of Wilten and "
        "Pradl began cleaning flooded cellars. Traffic over the Brenner pass returned to normal.",
        "2023-09-01",
    ),
]
RECALL = [
    (
        "b1",
        "Volta Motors recalls 40,000 scooters over battery fires",
        "Volta Motors is recalling 40,000 Zephyr electric scooters after battery packs caught fire "
        "in Lyon and Marseille. The Grenoble company said a faulty cell from supplier Kestrel "
        "Energy overheats while charging. Owners should stop charging their Zephyr at once.",
        "2023-05-10",
    ),
    (
        "b2",
        "Zephyr scooter fires: what Volta Motors owners must do",
        "After the Zephyr battery fires in Lyon and Marseille, Volta Motors told owners to stop "
        "charging the scooters. The Grenoble firm blames a Kestrel Energy cell that overheats; "
        "the recall covers 40,000 Zephyr scooters sold since March.",
        "2023-05-12",
    ),
]
OTHER = (
    "c1",
    "A slow-cooked bean stew for cold evenings",
    "Soak white beans overnight, then simmer them with onions, garlic, rosemary and a ham hock "
    "for three hours. Season with salt and pepper, and serve the stew with crusty bread.",
    "2023-06-02",
)
REGATTA = "Kiel Week regatta draws sailors from forty nations to the Kiel fjord"
REGATTA_BODY = (
    "Kiel Week opened on Saturday with thousands of sailors from forty nations racing dinghies "
    "and yachts on the Kiel fjord. Organisers at the Kieler Yacht-Club expect three million "
    "visitors to the Kiellinie promenade during the nine days of the regatta."
)


def _open(folder: Path, data: Path) -> Library:
    library = Library.open(folder, data)
    library.sync(workers=1)
    return library


@pytest.fixture
def corpus(tmp_path: Path) -> Iterator[tuple[Library, Path]]:
    folder = tmp_path / "news"
    folder.mkdir()
    for name, title, body, date in [*FLOOD, *RECALL, OTHER]:
        article(
            folder,
            name,
            title,
            body,
            date=date,
            topics=["Weather"] if name[0] == "a" else ["Business"] if name[0] == "b" else ["Food"],
        )
    article(folder, "k2022", REGATTA, REGATTA_BODY, date="2022-06-18", topics=["Sports"])
    article(
        folder,
        "k2023",
        REGATTA,
        REGATTA_BODY.replace("Saturday", "Sunday"),
        date="2023-06-17",
        topics=["Sports"],
    )
    library = _open(folder, tmp_path / "data")
    stories.update(library.conn, None)
    yield library, folder
    library.close()


def _rowid(conn: sqlite3.Connection, name: str) -> int:
    row = conn.execute("SELECT rowid FROM articles WHERE path LIKE ?", (f"%/{name}.%",)).fetchone()
    assert row is not None, name
    return int(row[0])


def _story(conn: sqlite3.Connection, name: str) -> str | None:
    return stories.story_of(conn, _rowid(conn, name))


def test_reports_of_one_event_group_and_events_stay_apart(corpus: tuple[Library, Path]) -> None:
    conn = corpus[0].conn
    flood = {_story(conn, name) for name, *_ in FLOOD}
    recall = {_story(conn, name) for name, *_ in RECALL}
    assert len(flood) == 1 and None not in flood
    assert len(recall) == 1 and None not in recall
    assert flood != recall
    assert _story(conn, "c1") is None
    listed = stories.stories(conn, 10, 0)
    assert [(size, title) for _, size, _, title in listed] == [
        (3, "Europa bridge reopens after Innsbruck flood"),  # biggest first, newest title
        (2, "Zephyr scooter fires: what Volta Motors owners must do"),
    ]
    (story_id, *_), _ = listed
    assert (
        story_id
        == min(
            conn.execute(
                "SELECT id FROM articles WHERE rowid IN (SELECT article FROM stories WHERE story = ?)",
                (story_id,),
            ).fetchall()
        )[0]
    )
    assert sorted(stories.story_members(conn, story_id)) == sorted(
        _rowid(conn, name) for name, *_ in FLOOD
    )


def test_same_words_a_year_apart_are_similar_not_one_story(corpus: tuple[Library, Path]) -> None:
    conn = corpus[0].conn
    assert _story(conn, "k2022") is None and _story(conn, "k2023") is None
    other_id = conn.execute(
        "SELECT id FROM articles WHERE rowid = ?", (_rowid(conn, "k2023"),)
    ).fetchone()[0]
    near = stories.similar(conn, _rowid(conn, "k2022"))
    assert near[0][0] == other_id and near[0][1] > 0.9


def test_similar_leaves_out_the_same_story(corpus: tuple[Library, Path]) -> None:
    conn = corpus[0].conn
    same = {
        conn.execute("SELECT id FROM articles WHERE rowid = ?", (_rowid(conn, n),)).fetchone()[0]
        for n, *_ in FLOOD
    }
    for name, *_ in FLOOD:
        assert not {other for other, _ in stories.similar(conn, _rowid(conn, name))} & same


def test_story_score_weighs_links_and_dates() -> None:
    day = 86400
    assert signing.story_score(0.2, False, 0, day) < signing.STORY_MIN
    assert signing.story_score(0.2, True, 0, day) >= signing.STORY_MIN
    assert signing.story_score(0.0, True, 0, day) < signing.STORY_MIN  # a link alone is not enough
    assert signing.story_score(0.9, False, 0, 365 * day) < signing.STORY_MIN
    assert signing.story_score(0.5, False, 0, 3 * day) == 0.5


def test_empty_update_returns_at_once(corpus: tuple[Library, Path]) -> None:
    stats = stories.update(corpus[0].conn, set())
    assert stats.signed == 0 and stats.seconds == 0.0


def test_adding_a_report_joins_its_story_incrementally(
    corpus: tuple[Library, Path], tmp_path: Path
) -> None:
    library, folder = corpus
    conn = library.conn
    before = _story(conn, "a1")
    article(
        folder,
        "a4",
        "Innsbruck counts the cost of the Inn flood",
        "Innsbruck and Tyrol counted the cost of the Inn flood that closed the Europa bridge "
        "on the Brenner motorway. Mayor Georg Willi asked Vienna for help for Wilten and "
        "Pradl residents.",
        date="2023-09-02",
        topics=["Weather"],
    )
    # An untagged plain-text dump about the scooter recall arrives too.
    article(
        folder,
        "b3",
        "Volta Motors widens Zephyr scooter recall",
        "Volta Motors widened the Zephyr recall after another battery fire in Marseille. The "
        "Grenoble company now blames two Kestrel Energy cells that overheat while charging; "
        "owners of Zephyr scooters must stop charging them.",
        date=None,
    )
    report = library.sync(workers=1)
    changed = stories.changed_rowids(conn, report.changed_ids)
    assert len(changed) == 2
    stats = stories.update(conn, changed)
    assert not stats.rebuilt and stats.signed == 2
    assert _story(conn, "a4") == before
    assert len(stories.story_members(conn, before or "")) == 4
    assert _story(conn, "b3") == _story(conn, "b1")
    assert stories.inferred_topics(conn, _rowid(conn, "b3")) == ["Business"]
    assert stories.inferred_topics(conn, _rowid(conn, "b1")) == []  # tagged: nothing inferred


def test_removing_articles_splits_or_dissolves_the_story(corpus: tuple[Library, Path]) -> None:
    library, folder = corpus
    conn = library.conn
    assert _story(conn, "b1") is not None
    (folder / "b2.md").unlink()
    report = library.sync(workers=1)  # the sync regroups stories itself
    assert report.removed == 1 and report.story_seconds > 0
    assert _story(conn, "b1") is None
    assert len(stories.stories(conn, 10, 0)) == 1
    assert stories.story_count(conn) == 1


def test_incremental_matches_a_rebuild(corpus: tuple[Library, Path]) -> None:
    library, folder = corpus
    conn = library.conn
    article(
        folder,
        "a4",
        "Innsbruck counts the cost of the Inn flood",
        "Innsbruck counted the cost of the Inn flood at the Europa bridge on the Brenner "
        "motorway, said Mayor Georg Willi.",
        date="2023-09-02",
        topics=["Weather"],
    )
    report = library.sync(workers=1)
    stories.update(conn, stories.changed_rowids(conn, report.changed_ids))
    incremental = sorted(conn.execute("SELECT article, story FROM stories").fetchall())
    stories.update(conn, None)
    assert sorted(conn.execute("SELECT article, story FROM stories").fetchall()) == incremental


def test_queries_before_any_update_are_empty(tmp_path: Path) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    library = _open(folder, tmp_path / "data")
    conn = library.conn
    assert stories.stories(conn, 10, 0) == []
    assert stories.story_of(conn, 1) is None
    assert stories.similar(conn, 1) == []
    assert stories.inferred_topics(conn, 1) == []
    library.close()


# -- the seeds ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sqlite3.Connection]:
    library = _open(SEEDS, tmp_path_factory.mktemp("data"))
    stories.update(library.conn, None)
    yield library.conn
    library.close()


def test_seeds_group_as_the_issue_describes(seeds: sqlite3.Connection) -> None:
    by_seed = {
        path.name[:3]: stories.story_of(seeds, str(article_id))
        for path, article_id in (
            (Path(p), i) for p, i in seeds.execute("SELECT path, id FROM articles")
        )
    }
    assert by_seed["000"] is not None and by_seed["000"] == by_seed["002"]
    assert by_seed["001"] is not None and by_seed["001"] == by_seed["003"]
    assert by_seed["004"] != by_seed["002"]
    # All four NYPD-Clearview reports are one story: 000 and 001 link each other and were
    # published two days apart, all four report the Legal Aid Society's release of the e-mails.
    assert by_seed["000"] == by_seed["001"]
    assert by_seed["004"] is None


def test_seed_dumps_get_inferred_topics(seeds: sqlite3.Connection) -> None:
    for path, article_id, topics in seeds.execute("SELECT path, id, topics FROM articles"):
        name = Path(path).name[:3]
        inferred = stories.inferred_topics(seeds, str(article_id))
        if name in ("002", "003"):
            assert topics == ""
            assert sorted(inferred) == ["AI", "Computer Vision"]
        else:
            assert inferred == []  # tagged articles keep their own topics only


def test_seed_similar_points_outside_the_story(seeds: sqlite3.Connection) -> None:
    ids = {Path(p).name[:3]: i for p, i in seeds.execute("SELECT path, id FROM articles")}
    near = [other for other, _ in stories.similar(seeds, str(ids["004"]))]
    assert near and set(near) <= {ids[n] for n in ("000", "001", "002", "003")}


def _story_tables(conn: sqlite3.Connection) -> list[list[tuple[object, ...]]]:
    """Every row of every table the stories write, sorted: what a rebuild decided."""
    tables = ("stories", "story_index", "similar", "inferred_topics", "story_docs", "story_keys")
    return [sorted(conn.execute(f"SELECT * FROM {table}").fetchall()) for table in tables]


def test_rebuild_in_small_chunks_decides_the_same(
    corpus: tuple[Library, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The rebuild reads articles in rowid chunks; chunk boundaries must not change any decision.
    conn = corpus[0].conn
    whole = _story_tables(conn)
    monkeypatch.setattr(signing, "REBUILD_CHUNK", 2)
    stories.update(conn, None)
    assert _story_tables(conn) == whole


def test_rebuild_signed_in_a_process_pool_decides_the_same(
    corpus: tuple[Library, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Big folders sign in a pool of every core; small ones here. Both must decide the same.
    conn = corpus[0].conn
    whole = _story_tables(conn)
    pooled: list[int] = []
    real = signing.map_ordered

    def counted(*args: Any, workers: int, **kwargs: Any) -> Any:
        assert workers == 2  # a pool, not the in-process loop
        for item in real(*args, workers=workers, **kwargs):
            pooled.append(len(item))
            yield item

    monkeypatch.setattr(signing, "POOL_FROM", 1)
    monkeypatch.setattr(signing, "REBUILD_CHUNK", 3)
    monkeypatch.setattr(signing, "map_ordered", counted)
    monkeypatch.setattr(signing.os, "cpu_count", lambda: 2)
    stories.update(conn, None)
    assert pooled and sum(pooled) == conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    assert _story_tables(conn) == whole


def test_a_term_written_two_ways_still_links_a_story(tmp_path: Path) -> None:
    # The story terms fold "ﬁ" (a ligature) to "fi"; the full-text index does not, so it counts
    # each spelling in one article. A rebuild must not take that for a term only one holds.
    folder = tmp_path / "folder"
    folder.mkdir()
    fill = ["apple orchard harvest", "river flood warning", "chess tournament final"]
    fill += ["violin concerto review", "mountain rescue team", "bakery opens downtown"]
    for number, words in enumerate(fill):
        article(folder, f"fill{number}", words.title(), f"Words on the {words}.", date="2022-01-01")
    article(
        folder,
        "a",
        "Zorblax financier resigns",
        "The Zorblax financier resigned.",
        date="2022-01-02",
    )
    article(
        folder,
        "b",
        "Zorblax \ufb01nancier quits",
        "A Zorblax \ufb01nancier quit.",
        date="2022-01-03",
    )
    library = _open(folder, tmp_path / "data")
    conn = library.conn
    conn.execute("BEGIN")
    stories.update(conn, None)
    conn.execute("COMMIT")
    assert _story(conn, "a") is not None and _story(conn, "a") == _story(conn, "b")
    library.close()


TRIAL = (
    "Quillfeather trial opens in Vienna",
    "Prosecutors in Vienna opened the fraud trial of the financier Quillfeather on Tuesday, "
    "accusing him of hiding assets offshore.",
)
ACCOUNTANT = (
    "Court hears Quillfeather accountant",
    "An accountant told judges that Quillfeather moved money through shell companies in Malta "
    "and Cyprus for a decade.",
)


def _linked_pair(folder: Path, *, link: bool, second: bool = True) -> None:
    """Two reports of one trial that share one name and nothing else: too little to be
    candidates by their keys, so only the first one's ``related[]`` link can pair them."""
    x_related = ["https://news.example/y"] if link else None
    article(folder, "x", *TRIAL, date="2024-03-05", url="https://news.example/x", related=x_related)
    if second:
        article(folder, "y", *ACCOUNTANT, date="2024-03-06", url="https://news.example/y")


@pytest.mark.parametrize("link", [True, False])
def test_a_link_alone_brings_two_reports_into_one_story(tmp_path: Path, link: bool) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    for name, title, body, date in [*FLOOD, *RECALL, OTHER]:
        article(folder, name, title, body, date=date)
    _linked_pair(folder, link=link)
    library = _open(folder, tmp_path / "data")
    conn = library.conn
    # Linked, they are one story; unlinked, the same texts are not even a similar pair.
    assert (_story(conn, "x") is not None and _story(conn, "x") == _story(conn, "y")) is link
    stories.update(conn, None)  # the rebuild decides the same as the first sync
    assert (_story(conn, "x") is not None and _story(conn, "x") == _story(conn, "y")) is link
    library.close()


def test_a_linked_report_added_later_joins_the_story(tmp_path: Path) -> None:
    # The incremental update must take linked articles as candidates too.
    folder = tmp_path / "news"
    folder.mkdir()
    for name, title, body, date in [*FLOOD, *RECALL, OTHER]:
        article(folder, name, title, body, date=date)
    _linked_pair(folder, link=True, second=False)
    library = _open(folder, tmp_path / "data")
    assert _story(library.conn, "x") is None
    _linked_pair(folder, link=True)
    report = library.sync(workers=1)
    assert report.added == 1
    assert _story(library.conn, "x") is not None
    assert _story(library.conn, "x") == _story(library.conn, "y")
    library.close()
