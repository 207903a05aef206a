"""The search syntax: parsing, escaping, and the results it gives on the seeds."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from newsreader.cli import main
from newsreader.library import views
from newsreader.library.library import Library, View
from newsreader.library.query import parse, problem

SEED_TITLES = {
    "000": "Internal Affairs used facial recognition software against NYPD cops: email",
    "001": "The NYPD used a controversial facial recognition tool. Here’s what you need to know.",
    "004": "Investigation reveals NYPD may use more facial recognition cameras in neighborhoods of color",
}


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Library:
    seeds = Path(__file__).resolve().parents[1] / "seeds"
    lib = Library.open(seeds, tmp_path_factory.mktemp("data"))
    lib.sync(workers=1)
    return lib


def titles(library: Library, query: str, **view: object) -> set[str]:
    return {row.title for row in library.page(View(query=query, **view))}  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    [
        '"abc',
        "C++",
        "AT&T",
        "(",
        ")",
        "*",
        "OR",
        "AND",
        "NOT",
        "-",
        '"',
        '""',
        "-word",
        "NEAR(a b)",
        "a:b",
        "topic:",
        "is:",
        "^x",
        "title:x",
        "'",
        "\\",
        "a OR",
        "OR b",
        "-(",
        "\x00",
        "é" * 300,
    ],
)
def test_awkward_input_never_raises(library: Library, text: str) -> None:
    query = parse(text)
    view = View(query=text)
    assert library.count(view) == len(library.rowids(view)) == len(library.page(view, 0, 1000))
    assert isinstance(library.rows(library.rowids(view), text), list)
    assert query.fts.count('"') % 2 == 0


def test_fts_terms_are_quoted() -> None:
    assert parse("C++").fts == '"C++"'
    assert parse('"abc').fts == '"abc"'
    assert parse('say "hi there" OR bye').fts == '("say" AND "hi there") OR ("bye")'
    assert parse("OR").fts == "" and parse("OR").empty
    assert parse("*").empty and parse("(").empty


@pytest.mark.parametrize(
    ("text", "fts", "same_as"),
    [
        ('a"b', '"a""b"', "a b"),
        ('"a"b"', '"a" AND "b"""', "a b"),
        ('clearview"', '"clearview"""', "clearview"),
        ('"nypd"clearview"', '"nypd" AND "clearview"""', "nypd clearview"),
    ],
)
def test_a_quote_inside_a_term_is_doubled(
    library: Library, text: str, fts: str, same_as: str
) -> None:
    # FTS5 reads a doubled quote as part of the string; left single it ends the string early
    # and the rest is a syntax error (no results). The quote itself is no part of any word.
    assert parse(text).fts == fts
    assert library.rowids(View(query=text)) == library.rowids(View(query=same_as))
    if "clearview" in text:
        assert library.rowids(View(query=text))


def test_plain_words_and_phrases(library: Library) -> None:
    assert titles(library, "neighborhoods") == {SEED_TITLES["004"]}
    assert titles(library, '"internal affairs used facial"') == {SEED_TITLES["000"]}
    assert SEED_TITLES["004"] in titles(library, "neighborhoods OR koala")
    assert titles(library, "neighbourhoods") == set()


def test_snippets_are_marked(library: Library) -> None:
    rows = library.page(View(query="neighborhoods"))
    assert "\x02" in rows[0].snippet and "\x03" in rows[0].snippet
    ids = library.rowids(View(query="neighborhoods"))
    assert "\x02" in library.rows(ids, "neighborhoods")[0].snippet


def test_negation(library: Library) -> None:
    everything = library.count(View())
    with_word = library.count(View(query="neighborhoods"))
    assert library.count(View(query="-neighborhoods")) == everything - with_word
    assert SEED_TITLES["004"] not in titles(library, "nypd -neighborhoods")
    assert SEED_TITLES["000"] in titles(library, "nypd -neighborhoods")


def test_filters(library: Library) -> None:
    assert titles(library, "source:nypost") == {SEED_TITLES["000"]}
    assert titles(library, "source:pix11.com") == {SEED_TITLES["004"]}
    assert len(titles(library, "topic:AI")) == 3
    assert len(titles(library, "topic:ai")) == 3  # topics match case-insensitively
    assert titles(library, "after:2021-05-01") == {SEED_TITLES["004"]}
    assert titles(library, "before:2021-04-10") == {SEED_TITLES["001"]}
    assert titles(library, "after:2021-04-10 before:2021-05-01") == {SEED_TITLES["000"]}
    # A date that cannot be read keeps nothing (it used to be dropped: every article came back).
    assert titles(library, "after:garbage") == set()
    assert titles(library, "before:2021-13-45") == set()
    assert titles(library, "after:2021-05") == {SEED_TITLES["004"]}  # a month: from its 1st
    assert titles(library, "before:2021") == set()
    assert len(titles(library, "after:2021")) == 3
    assert len(titles(library, "after:100y")) == 3  # a time ago
    assert titles(library, "after:1d") == set()


@pytest.mark.parametrize(
    "text", ["after:2021-13-45", "after:notadate", "before:2021-00", "since:x"]
)
def test_a_date_that_cannot_be_read_is_named(text: str) -> None:
    message = problem(f"nypd {text}")
    assert message is not None and text in message and "2021-04" in message
    assert parse(text).errors == [message]


@pytest.mark.parametrize(
    ("text", "days"), [("after:7d", 7), ("before:2w", 14), ("after:3m", 90), ("after:1y", 365)]
)
def test_relative_dates_count_back_from_now(text: str, days: int) -> None:
    query = parse(text)
    epoch = query.after if query.after is not None else query.before
    assert epoch is not None and not query.errors
    assert abs(time.time() - days * 86400 - epoch) < 60


def test_months_and_years_start_on_their_first_day() -> None:
    assert parse("after:2021-04").after == parse("after:2021-04-01").after
    assert parse("before:2021").before == parse("before:2021-01-01").before
    assert problem("after:2021-04 before:2021-05-01") is None


@pytest.mark.parametrize("command", ["search", "list", "export"])
def test_the_cli_refuses_an_unreadable_date_in_one_line(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    seeds = str(Path(__file__).resolve().parents[1] / "seeds")
    args = [seeds, "nypd after:2021-13-45"] if command == "search" else [seeds, "-q", "after:x"]
    assert main(["--data-dir", str(tmp_path), command, *args]) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.splitlines()) == 1 and "cannot read the date" in err


def test_state_filters(library: Library) -> None:
    (first,) = library.article_ids(View(query="neighborhoods"))
    library.set_read([first])
    library.set_starred([first])
    try:
        assert titles(library, "is:read") == {SEED_TITLES["004"]}
        assert titles(library, "is:starred") == {SEED_TITLES["004"]}
        assert SEED_TITLES["004"] not in titles(library, "is:unread")
        assert len(titles(library, "is:unread")) == 4
        assert titles(library, "", starred=True) == {SEED_TITLES["004"]}
        assert library.count(View(unread=True)) == 4
    finally:
        library.set_read([first], read=False)
        library.set_starred([first], starred=False)


def test_quick_filter_and_topic_view(library: Library) -> None:
    assert titles(library, "", quick="neighbor") == {SEED_TITLES["004"]}
    assert titles(library, "", quick="%") == set()
    assert len(titles(library, "", topic="Computer Vision")) == 3
    assert titles(library, "", source="WPIX") == {SEED_TITLES["004"]}


def test_quoted_filter_values_and_negated_filters(library: Library) -> None:
    assert parse('topic:"Computer Vision" nypd').topics == ["Computer Vision"]
    assert parse('topic:"Computer Vision" nypd').fts == '"nypd"'
    assert len(titles(library, 'topic:"Computer Vision"')) == 3
    assert len(titles(library, "-topic:AI")) == 2
    assert SEED_TITLES["000"] not in titles(library, "nypd -source:nypost")
    assert len(titles(library, "-source:nypost")) == 4
    # Other negated key:value pairs stay words.
    assert parse("-foo:bar").exclude == '"foo:bar"'
    assert parse('-"a b"').exclude == '"a b"'


@pytest.mark.parametrize(
    "text",
    [
        "nypd source:nypost",
        "nypd -source:nypost",
        "facial topic:AI",
        "facial -topic:AI",
        "nypd is:unread",
        "nypd is:read",
        "nypd is:starred",
        "nypd -is:starred",
        "facial after:2021-04-10",
        "facial before:2021-04-10",
        "nypd -clearview topic:AI after:2021-01-01",
    ],
)
def test_text_with_filters_agrees_with_the_general_path(
    library: Library, text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    (first,) = library.article_ids(View(query="neighborhoods"))
    library.set_read([first])
    library.set_starred([first])
    try:
        fast = (library.count(View(query=text)), library.rowids(View(query=text)))
        monkeypatch.setattr(views, "text_only", lambda view, query, table: None)
        slow = (library.count(View(query=text)), library.rowids(View(query=text)))
        assert fast == slow
        assert sorted(fast[1]) == sorted(library.rowids(View(query=text, source=None)))
    finally:
        library.set_read([first], read=False)
        library.set_starred([first], starred=False)


_SYNTAX = st.sampled_from(
    ['"', "-", "OR", "(", ")", "*", "^", ":", "topic:", "source:", "is:", "after:", "NEAR", "\x00"]
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.one_of(st.text(max_size=12), _SYNTAX), max_size=8).map(" ".join))
@example("a\x00b")
@example('"abc')
def test_any_query_gives_results_or_nothing_never_an_error(library: Library, text: str) -> None:
    every = set(library.rowids(View()))
    for view in (View(query=text), View(query=text, unread=True), View(query=text, topic="AI")):
        count = library.count(view)
        rows = library.page(view, 0, 1000)
        # The count and the list agree: a query the parser let through to FTS5 broken would
        # show up here as rows it counts but cannot list (or the reverse).
        assert count == len(rows) == len(library.rowids(view))
        assert {r.rowid for r in rows} <= every


def test_a_big_search_ranks_title_matches_first_then_the_newest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from newsreader.library import views

    monkeypatch.setattr(views, "RANK_ALL", 2)  # take the path of big searches
    folder = tmp_path / "f"
    folder.mkdir()
    body = "An article about the weather and other things, long enough to be a body."
    specs = [  # file, title, date, mentions "otters" in the title?
        ("a", "Otters return to the river", "2021-01-01", True),
        ("b", "Council news", "2021-02-01", False),
        ("c", "Otters and beavers", "2021-03-01", True),
        ("d", "Market report", "2021-04-01", False),
        ("e", "Old otters story", "2019-01-01", True),
    ]
    for name, title, date, _ in specs:
        (folder / f"{name}.md").write_text(
            f"---\ntitle: {title}\npublishedDateTime: {date}T00:00:00Z\n---\n\n"
            f"{body} Otters were seen.\n"
        )
    lib = Library.open(folder, tmp_path / "data")
    lib.sync(workers=1)
    order = [row.title for row in lib.page(View(query="otters"))]
    assert set(order[:3]) == {t for _, t, _, titled in specs if titled}
    assert order[3:] == ["Market report", "Council news"]  # the rest, newest added first
    assert lib.count(View(query="otters")) == 5 == len(lib.rowids(View(query="otters")))
    dated = [row.title for row in lib.page(View(query="otters after:2020-06-01"))]
    assert set(dated[:2]) == {"Otters return to the river", "Otters and beavers"}
    assert dated[2:] == ["Market report", "Council news"]
    assert [r.title for r in lib.page(View(query="otters"), offset=3, limit=1)] == ["Market report"]
