"""What keeps an HTML page cheap to clean (issue 19: under 30 ms a page), as mechanisms rather
than timings: the page is parsed once and handed to trafilatura as a tree, trafilatura and
html2text run once, readability only when trafilatura's body looks doubtful, and readability's
own slow spots stay bypassed."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import trafilatura

from newsreader.ingest import clean as clean_module
from newsreader.ingest import extractors
from newsreader.ingest.clean import _parse, _prune
from newsreader.ingest.load import load_bytes
from newsreader.model import Article

#: A page with a second opinion to ask: trafilatura keeps less of it than resiliparse.
PAGE = (Path(__file__).parent / "fixtures" / "extractors" / "article.html").read_text()
PARAGRAPHS = "".join(
    f"<p>Paragraph {i} of the report tells how the harbour bridge was inspected, what the "
    "engineers found in its piers and why the council decided to act now rather than wait.</p>"
    for i in range(8)
)
#: An ordinary article page: trafilatura's body is the referee's text.
ORDINARY = (
    "<html><head><title>Harbour bridge to close | Gazette</title></head><body><header><nav>"
    "<a href='/'>Home</a> <a href='/news'>News</a></nav></header><article>"
    f"<h1>Harbour bridge to close</h1>{PARAGRAPHS}</article>"
    "<footer><p>Copyright Gazette</p></footer></body></html>"
)


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """Counts of the costly steps of cleaning a page, by name."""
    seen: Counter[str] = Counter()

    def counted(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            seen[name] += 1
            return fn(*args, **kwargs)

        return wrapper

    steps = [
        (clean_module, "_parse", "parse"),
        (trafilatura, "bare_extraction", "trafilatura"),
        (clean_module, "_html2md", "html2text"),
        (extractors, "main_text", "referee"),
        (extractors, "readability_html", "readability"),
    ]
    for module, attr, name in steps:
        monkeypatch.setattr(module, attr, counted(name, getattr(module, attr)))
    yield seen


def test_an_ordinary_page_is_parsed_once_and_extracted_once(calls: Counter[str]) -> None:
    article = load_bytes(ORDINARY.encode(), "page.html")
    assert isinstance(article, Article) and "Paragraph 7 of the report" in article.body
    # trafilatura's body agrees with the referee: no second opinion, no whole-page fallback
    assert calls == Counter(parse=1, trafilatura=1, html2text=1, referee=1)


#: Paragraphs with links, two candidates deep: each candidate's link density counts the links.
NESTED = (
    "<html><body><div id='story'><div class='text'>"
    + PARAGRAPHS.replace("the harbour bridge", "the <a href='/bridge'>harbour bridge</a>")
    + "</div></div></body></html>"
)


def test_readability_measures_each_element_once_while_it_scores(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import readability.readability as module

    tree = _parse(NESTED)
    assert tree is not None
    _prune(tree)
    extractors._readability()  # readability's module as the extractor uses it
    measured: Counter[int] = Counter()
    text_length = module.text_length

    def counting(elem: Any) -> int:
        measured[id(elem)] += 1
        return int(text_length(elem))

    scoring = module.Document.score_paragraphs

    def score_paragraphs(self: Any) -> Any:
        monkeypatch.setattr(module, "text_length", counting)
        try:
            return scoring(self)
        finally:
            monkeypatch.setattr(module, "text_length", text_length)

    monkeypatch.setattr(module.Document, "score_paragraphs", score_paragraphs)
    assert "harbour bridge" in extractors.readability_html(tree)
    assert measured and max(measured.values()) == 1


def test_readability_never_serialises_the_page_to_find_misused_divs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import readability.readability as module

    def refuse(*_args: Any, **_kwargs: Any) -> bytes:
        raise AssertionError("a div's children were serialised")

    tree = _parse(PAGE)
    assert tree is not None
    extractors._readability()
    monkeypatch.setattr(module, "tostring", refuse)
    assert "harbour bridge" in extractors.readability_html(tree)
