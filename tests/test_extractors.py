"""The second opinion on trafilatura's body (ingest/extractors.py, issue 19 item 5): readability's
body replaces it when it agrees better with resiliparse's text, unless it cuts the article's
structure; a body that already agrees is kept without running readability."""

from __future__ import annotations

import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

from newsreader.ingest import clean as clean_module
from newsreader.ingest import extractors
from newsreader.ingest.clean import _html2md, _parse, _prune, clean, to_text

PAGE = (Path(__file__).parent / "fixtures" / "extractors" / "article.html").read_text()
FIRST = "The city council voted on Tuesday to close the old harbour bridge"
LAST = "publish the engineers' full report this week."
#: What trafilatura kept of one dev page (bug-1255978): a video player's menus and a picture
#: gallery inside the article.
PLAYER = "\n\n".join(
    ["Chapters", "descriptions off, selected", "subtitles off, selected", "Play Video"]
    + [
        f"{i}/50\n\nBusiness news in pictures, slide {i} of 50: shares rose.\n\nGETTY IMAGES"
        for i in range(1, 21)
    ]
)


def choose(body: str) -> str:
    tree = _parse(PAGE)
    assert tree is not None
    _prune(tree)
    return extractors.choose(body, PAGE, tree, to_text=to_text, render=_html2md)


def article_paragraphs() -> list[str]:
    tree = _parse(PAGE)
    assert tree is not None
    return [p.text_content() for p in tree.iter("p")]


def test_body_full_of_page_furniture_gives_way_to_readability() -> None:
    paragraphs = article_paragraphs()
    body = "\n\n".join(paragraphs[:2] + [PLAYER] + paragraphs[2:])
    chosen = choose(body)
    assert "descriptions off" not in chosen and "GETTY IMAGES" not in chosen
    assert FIRST in chosen and LAST in chosen
    assert "* Cars: banned from April" in chosen  # readability's list, as Markdown


def test_body_that_missed_most_of_the_article_gives_way() -> None:
    chosen = choose(article_paragraphs()[0])
    assert LAST in chosen


def test_body_that_agrees_with_the_referee_is_kept_without_readability(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(_tree: object) -> str:
        raise AssertionError("readability ran")

    monkeypatch.setattr(extractors, "readability_html", refuse)
    body = extractors.main_text(PAGE)
    assert choose(body) == body


def test_readability_cutting_a_list_out_of_the_article_keeps_trafilatura() -> None:
    body = "First paragraph of the story.\n\n* alpha\n* beta\n\nLast paragraph of the story."
    without_list = "First paragraph of the story.\n\nLast paragraph of the story."
    assert extractors.cuts_structure(body, without_list, to_text)
    assert not extractors.cuts_structure(body, to_text(body), to_text)
    # a list after the article's last shared block is outside it: readability may drop it
    tail = "First paragraph of the story.\n\nLast paragraph of the story.\n\n* Home\n* News"
    assert not extractors.cuts_structure(tail, without_list, to_text)
    # a table and a code block are structure too
    for block in ("Name| Score\n---|---\nAnn| 10", "    x = 1\n    y = 2"):
        body = f"First paragraph of the story.\n\n{block}\n\nLast paragraph of the story."
        assert extractors.cuts_structure(body, without_list, to_text)


def test_html_cleaning_asks_for_the_second_opinion(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []

    def spy(body: str, page: str, tree: object, **_: object) -> str:
        seen.append(page)
        return "The second opinion won."

    monkeypatch.setattr(clean_module.extractors, "choose", spy)
    assert clean(PAGE, "html") == "The second opinion won."
    assert seen and "Harbour bridge" in seen[0]


def test_short_body_is_not_traded_for_the_whole_page(monkeypatch: pytest.MonkeyPatch) -> None:
    # trafilatura's body is short against the page's menus; the whole-page fallback kept every
    # teaser. Without readability's opinion, the referee decides between the two.
    monkeypatch.setattr(extractors, "readability_html", lambda _tree: "")
    menu = "".join(f'<li><a href="/s{i}">Section number {i}</a></li>' for i in range(40))
    side = "".join(f'<li><a href="/t{i}">Teaser story number {i} here</a></li>' for i in range(30))
    page = f"""<html><head><title>Ferry resumes</title></head><body><nav><ul>{menu}</ul></nav>
<aside><ul>{side}</ul></aside><main><article><h1>Ferry resumes</h1>
<p>The island ferry sails again from Monday.</p><p>Repairs took six weeks in all.</p>
<p>Tickets cost the same as before.</p></article></main>
<footer><ul>{menu}</ul></footer></body></html>"""
    text = to_text(clean(page, "html"))
    assert "The island ferry sails again from Monday." in text
    assert "Tickets cost the same as before." in text
    assert "Teaser story" not in text and "Section number" not in text


def test_agreement_is_the_shingle_overlap() -> None:
    a = extractors.shingles("one two three four five")
    assert extractors.agreement(a, a) == 1.0
    assert extractors.agreement(a, extractors.shingles("six seven eight nine")) == 0.0
    assert extractors.agreement(a, extractors.shingles("one two three four")) == 0.5


def test_cleaning_module_does_not_import_the_extractors() -> None:
    code = (
        "import sys, newsreader.ingest.clean, newsreader.ingest.load\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('readability', 'resiliparse')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def readability_own_clean(text: str) -> str:
    """readability-lxml 0.8.4's ``clean`` as its source has it: the oracle."""
    text = re.sub(r"\s{255,}", " " * 255, text)
    text = re.sub(r"\s*\n\s*", "\n", text)
    text = re.sub(r"\t|[ \t]{2,}", " ", text)
    return text.strip()


def test_readability_clean_gives_what_readability_gives() -> None:
    rnd = random.Random(19)
    pieces = [" ", "  ", "\t", "\n", "\r\n", "\xa0", "\u2003", "\f", "word", "x,", " " * 300]
    for _ in range(20_000):
        text = "".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 12)))
        assert extractors.readability_clean(text) == readability_own_clean(text), repr(text)


def test_readability_runs_with_the_fast_clean_and_finds_the_article() -> None:
    import readability.readability

    tree = _parse(PAGE)
    assert tree is not None
    _prune(tree)
    html = extractors.readability_html(tree)
    assert readability.readability.clean is extractors.readability_clean
    assert FIRST in html and LAST in to_text(_html2md(html))
    assert tree.find(".//p") is not None  # the page's tree is readability's copy, not changed
