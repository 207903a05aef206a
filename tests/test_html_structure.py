"""HTML structure survives cleaning: one fixture page per structure (tests/fixtures/html_structure),
each read by the whole loader as ``show`` reads it (issue 19, item 4; the form page, item 5)."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsreader.ingest.clean import to_text
from newsreader.ingest.load import load_file
from newsreader.model import Article

FIXTURES = Path(__file__).parent / "fixtures" / "html_structure"
OPENING = "The committee published its findings on Thursday"

#: fixture -> lines that must appear in the body, in this order, each whole on its own line
EXPECTED = {
    "ul.html": ["* alpha", "* beta", "* gamma"],
    "ol.html": ["1. first step", "2. second step", "3. third step"],
    "nested.html": ["1. first step", "* inner alpha", "* inner beta", "2. second step"],
    "last.html": ["End of it all here."],
    "h2.html": ["## What happens next"],
    "table.html": ["Name| Score", "Ann| 10", "Bob| 7"],
    "pre.html": ["line one", "  line two", "line three"],
    "form.html": [
        "The council said it would publish a full account of the spending in the spring,"
    ],
}


def body(name: str) -> str:
    article = load_file(str(FIXTURES / name))
    assert isinstance(article, Article), article
    return article.body


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_structure_survives(name: str) -> None:
    text = body(name)
    assert OPENING in text
    lines = text.splitlines()
    at = 0
    for want in EXPECTED[name]:
        found = [i for i, line in enumerate(lines) if want in line and i >= at]
        assert found, f"{want!r} missing (or out of order) in:\n{text}"
        at = found[0] + 1


def test_list_items_share_one_indentation() -> None:
    for name in ("ul.html", "ol.html"):
        items = [line for line in body(name).splitlines() if line.lstrip()[:2] in ("* ", "1.")]
        items += [line for line in body(name).splitlines() if line.lstrip()[:2] in ("2.", "3.")]
        assert len({len(line) - len(line.lstrip()) for line in items}) == 1, items


def test_nested_list_is_indented_under_its_item() -> None:
    lines = body("nested.html").splitlines()
    outer = next(line for line in lines if "1. first step" in line)
    inner = next(line for line in lines if "* inner alpha" in line)
    assert len(inner) - len(inner.lstrip()) > len(outer) - len(outer.lstrip())


def test_inline_code_stays_in_its_paragraph() -> None:
    text = body("code.html")
    assert "Call the `frobnicate()` function before the meeting" in text
    assert "\n\nCall the frobnicate() function before the meeting" in to_text(text)


def test_pre_keeps_its_line_breaks_and_is_no_quote() -> None:
    text = body("pre.html")
    assert ">" not in text
    block = [line for line in text.splitlines() if "line" in line and OPENING not in line]
    assert len(block) == 3
    # indented as a code block, its own indentation kept inside it
    assert block[1].index("line two") == block[0].index("line one") + 2
