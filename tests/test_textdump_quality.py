"""What the plain-text path keeps of a page dump (issue 19, item 5): each fixture is a small page
saved as text, with the page furniture that made the dump classifier keep too much or too little
of it, read by the whole loader as ``newsreader show --text`` reads it."""

from __future__ import annotations

from pathlib import Path

from newsreader.ingest.clean import to_text
from newsreader.ingest.load import load_file
from newsreader.model import Article

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "textdump"


def shown(name: str) -> str:
    """The body ``show --text`` prints for a fixture."""
    article = load_file(str(FIXTURES / name))
    assert isinstance(article, Article), article
    return to_text(article.body)


def test_article_starts_below_its_headline_not_at_the_teasers_above() -> None:
    # html2text writes the page's <h1> as "# ": above it, teasers for other stories read like
    # sentences, and the stretch of body text reached up to them
    body = shown("headline_below_teasers.txt")
    assert body.startswith("The city council voted on Tuesday evening"), body[:200]
    assert "ferry" not in body and "surprising" not in body
    assert body.endswith("for roads and parking instead.")


def test_an_article_with_top_level_section_headings_keeps_them_all() -> None:
    # several "# " headings in the article are its sections, not one headline to start below
    body = shown("sections_as_headings.txt")
    assert body.startswith("Tide tables are printed every spring"), body[:200]
    assert "Where to find them" in body and "How to read them" in body


def test_bylines_and_share_buttons_above_the_first_paragraph_go() -> None:
    # between the headline and the article's first paragraph: a byline, a share bar and a
    # line the page repeats; none of them is the article
    body = shown("share_bar_above_first_paragraph.txt")
    assert body.startswith("Photo\n\nThe ferry to the outer islands"), body[:200]
    assert "HOLLOWAY" not in body and "Tweet" not in body


def test_short_posts_after_a_share_bar_are_no_continuation_of_the_article() -> None:
    # "Share This Article:" ends the article unless two body paragraphs follow; two short
    # community posts in a row (a question, a teaser) are not that
    body = shown("community_posts_after_share_bar.txt")
    assert body.endswith("every view is logged for the owner to review."), body[-300:]
    assert "degree" not in body and "digest" not in body


def test_a_share_heading_in_french_ends_the_article() -> None:
    # the end markers know other languages' "Share" and "Related" headings, as they know
    # "Share this"; the teasers below are another story each
    body = shown("partager_then_teasers.txt")
    assert body.startswith("Le conseil municipal a voté mardi soir"), body[:200]
    assert body.endswith("les clubs de natation de la ville."), body[-300:]
