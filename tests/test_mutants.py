"""Behaviours that scripts/mutate.py found no test pinning: each test here fails on one of the
mutants that survived the owning tests (the page-dump cleaner's line judgements, the story
candidates' shared keys and the story title's choice of the newest report)."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsreader.ingest import textdump
from newsreader.library import stories
from test_stories import RECALL, _open, _rowid, _story, article

#: Running text: lines of ten words or more, with sentence punctuation and common English words.
BRIDGE = [
    "The council met on Tuesday evening and agreed that the old bridge over the river will be "
    "repaired before the winter comes.",
    "Engineers from the city said the work would take about six weeks and that the road would "
    "stay open to buses and bicycles for most of that time.",
    "Residents who live near the bridge were told that there would be some noise at night, and "
    "the council promised to keep it as low as it could.",
]
LAST = (
    "The mayor said that the money for the repairs had been set aside last year and that no "
    "other work in the city would have to wait for it."
)


def _dump(*paragraphs: str) -> str:
    return "\n\n".join(paragraphs) + "\n"


def test_a_few_long_words_weigh_as_a_short_line() -> None:
    """A line of under five words is short however many letters it has: ten such lines between a
    small paragraph and the article outweigh the paragraph, which stays out
    (mutant: ``ln.words < 5 and len(text) < 30``, which judged them unsure and lighter)."""
    small = "The council met on Tuesday and agreed to repair the bridge."
    labels = [
        "internationalization considerations overview",
        "telecommunications infrastructure modernization",
        "electroencephalography measurements unavailable",
        "counterrevolutionary historiography",
        "uncharacteristically incomprehensible",
        "interdisciplinary responsibilities",
        "pseudopseudohypoparathyroidism",
        "photosynthesizing chloroplasts everywhere",
        "thermoregulation mechanisms explained",
        "industrialization accelerated dramatically",
    ]
    article = " ".join(BRIDGE[1:])
    assert textdump.extract(_dump(small, *labels, article)) == article


def test_a_sentence_with_an_email_address_is_boilerplate() -> None:
    """A contact line is dropped even when it reads like a sentence
    (mutant: ``"@" not in text``, which never let the e-mail test run)."""
    contact = (
        "Send your tips and corrections to the newsroom at tips@news.example any time you like."
    )
    body = textdump.extract(_dump(*BRIDGE[:2], contact, BRIDGE[2], LAST))
    assert "tips@news.example" not in body
    assert BRIDGE[0] in body and LAST in body


def test_only_rows_around_a_table_rule_become_table_rows() -> None:
    """A boilerplate line with a '|' next to a number line is no table row and goes
    (mutant: ``ln.kind != CODE and not _TABLE_RULE...``, which spread from any number line)."""
    body = textdump.extract(
        _dump(*BRIDGE[:2], "1,234,567\nPrivacy policy | Terms of use", BRIDGE[2], LAST)
    )
    assert "Privacy policy" not in body
    assert "1,234,567" in body and LAST in body


def test_every_row_below_a_table_rule_is_kept() -> None:
    """Rows of a table are content, the first below the rule too, whatever they hold
    (mutant: ``for step in (-1, 2)``, which skipped every other row below the rule)."""
    table = "Name | Contact\n---|---\nJane Doe | jane@news.example\nMax Roe | max@news.example"
    body = textdump.extract(_dump(*BRIDGE[:2], table, BRIDGE[2], LAST))
    assert "Jane Doe | jane@news.example" in body
    assert "Max Roe | max@news.example" in body


def test_a_nine_word_heading_does_not_end_the_article() -> None:
    """Only a "More from ..." line of at most eight words opens what follows an article; one of
    nine words is a heading inside it, and the paragraph after it stays
    (mutant: ``ln.words <= 9``)."""
    heading = "More from the newsroom about climate and energy policy"
    body = textdump.extract(_dump(*BRIDGE, heading, LAST))
    assert heading in body and LAST in body
    # eight words are an end marker: the lone paragraph after it is no article text
    short = "More from the newsroom about climate and energy"
    assert LAST not in textdump.extract(_dump(*BRIDGE, short, LAST))


def _front_matter(folder: Path, name: str, title: str, body: str, when: str) -> None:
    """An article published at ``when`` to the second (test_stories' helper fixes 09:00)."""
    lines = ["---", f'title: "{title}"', f"publishedDateTime: {when}"]
    lines += [f'webUrl: "https://news.example/{name}"', "type: article", "---", "", body, ""]
    (folder / f"{name}.md").write_text("\n".join(lines), encoding="utf-8")


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("2023-05-12T09:00:00Z", "2023-05-10T09:00:00Z"),
        # the epoch is a date like any other, and one second after it is newer
        ("1970-01-01T00:00:01Z", "1970-01-01T00:00:00Z"),
    ],
)
def test_a_story_is_titled_by_its_newest_report(tmp_path: Path, first: str, second: str) -> None:
    """The newest report names the story, not the one indexed last
    (mutants of the sort key: ``d.published and 0``, ``d.published or 1``)."""
    folder = tmp_path / "news"
    folder.mkdir()
    (b1, newer, body1, _), (b2, older, body2, _) = RECALL
    _front_matter(folder, b1, newer, body1, first)  # indexed first: the lower rowid
    _front_matter(folder, b2, older, body2, second)
    library = _open(folder, tmp_path / "data")
    try:
        stories.update(library.conn, None)
        assert _rowid(library.conn, b1) < _rowid(library.conn, b2)
        story = _story(library.conn, b1)
        assert story is not None and story == _story(library.conn, b2)
        assert [(s, size, title) for s, size, _, title in stories.stories(library.conn)] == [
            (story, 2, newer)
        ]
    finally:
        library.close()


def test_a_report_whose_keys_name_the_story_finds_a_longer_report(tmp_path: Path) -> None:
    """A short report's keys are all words a longer, earlier-indexed report carries below its own
    ten keys: the pair is still found from the longer one, as its indexed terms include two keys
    of the other (mutant: ``if not rank < KEY_TERMS``, which counted the other's lesser terms)."""
    folder = tmp_path / "news"
    folder.mkdir()
    article(
        folder,
        "long",
        "Quorvex Telmira Brastolin Vendaxo Plimbert Orsavik Gultreno Haskimo Dravelle Zintopa",
        "dockworkers at the container terminal went on strike over wages, and ferry and "
        "shipping traffic in the harbour stopped.",
        date="2023-03-01",
    )
    article(
        folder,
        "short",
        "Harbour strike: dockworkers, wages, ferry, container terminal, shipping",
        "dockworkers strike over wages at the harbour container terminal.",
        date="2023-03-01",
    )
    library = _open(folder, tmp_path / "data")
    try:
        stories.update(library.conn, None)
        assert _rowid(library.conn, "long") < _rowid(library.conn, "short")
        story = _story(library.conn, "long")
        assert story is not None and story == _story(library.conn, "short")
    finally:
        library.close()


def test_a_small_search_is_ranked_by_relevance_not_by_recency(
    tmp_path: Path, data_dir: Path
) -> None:
    """Killed the mutant of views.order that gave a few matches the title-first order meant for
    many (scripts/mutate.py): with neither title matching, that order is newest first."""
    from newsreader.library.library import Library
    from newsreader.model import View
    from tui_support import write_article

    folder = tmp_path / "rank"
    folder.mkdir()
    write_article(
        folder,
        "a-many.md",
        title="Wildlife survey",
        url="https://example.com/a",
        body="The koala count rose. Each koala was tagged; koala habitat grew. " * 3,
        date="2022-01-01T10:00:00Z",
    )
    write_article(
        folder,
        "b-once.md",
        title="Council budget",
        url="https://example.com/b",
        body="The council also discussed a koala sign among forty other agenda items. " * 3,
        date="2022-02-01T10:00:00Z",
    )
    library = Library.open(folder, data_dir)
    library.sync(workers=1)
    titles = [row.title for row in library.page(View(query="koala"), 0, 10)]
    assert titles == ["Wildlife survey", "Council budget"]
    library.close()
