"""A second opinion on trafilatura's extraction: readability-lxml's, refereed by resiliparse.

trafilatura sometimes keeps the page around the article (navigation, related stories, video
player menus) or misses part of it, where readability-lxml gets it right, and the other way
round. Neither is better on every page: on the 130 dev pages, trafilatura's body alone scores
F1 0.957, readability 0.8.4's 0.898, and the better of the two page by page 0.971 (with
readability 0.9: 0.963 alone, 0.978 the better of the two; see pyproject.toml for why 0.8.4).

The rule: resiliparse's main-content text (3 ms a page, recall-leaning, no structure) is the
referee. When trafilatura's body agrees with it closely, the body is kept and readability never
runs; otherwise readability's body replaces trafilatura's if it agrees with the referee better,
unless it leaves out a list, table or code block that trafilatura found inside the article.
Agreement is the metric the bodies are scored by: the overlap of 4-word shingles (shared / all).
Fitted on the even dev pages, checked on the odd ones (benchmarks/bench_clean.py --halves):
through the whole loader F1 0.965 (even 0.962, odd 0.969; 0.969 with readability 0.9); 0.968
(even 0.964, odd 0.971) since trafilatura runs in fast mode, MathML and custom elements keep
their text and tag-like text stays. The referee also decides whether a short trafilatura body
gives way to the whole-page fallback (``closer``); a lower KEEP_AGREEMENT, or a margin either
way, scored lower on both halves, and so did asking the referee to pick among trafilatura's
recall, default and precision modes or the fallback on every page.
Either body is Markdown rendered from HTML, so lists, tables and code keep their form; where
readability wins, headings it judged furniture (mostly linked ones) are gone.

Both libraries are imported inside the functions: the reader's first paint must not load them.
"""

from __future__ import annotations

import copy
import functools
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

#: trafilatura's body is kept without asking readability when it agrees this well with the
#: referee (on the dev pages readability never won above it; it saves a third of the runs).
KEEP_AGREEMENT = 0.95
#: Pages larger than this are left to trafilatura: readability's scoring slows down on huge
#: pages, and no real article page is this large.
MAX_PAGE = 1_000_000

_WORD = re.compile(r"\w+")
_BLOCK_GAP = re.compile(r"\n[ \t]*\n")
#: A Markdown block that is structure readability drops as clutter: a list item, a table row or
#: rule, or code. The guard also scores better than none (dev F1, measured apart from the rest
#: of the loader: 0.970 against 0.969). Not headings: readability drops linked and badly
#: classed ones, mostly page furniture, and guarding them too cost 0.001.
_STRUCTURE = re.compile(r"^(?:[ \t]*(?:[*+-]|\d{1,9}[.)])[ \t]|.*\|.*$|```| {4})", re.M)


def shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    """Counts of the ``n``-word runs of ``text`` (a shorter text is one run of its words)."""
    words = _WORD.findall(text)
    if len(words) < n:
        return Counter([tuple(words)]) if words else Counter()
    # the runs, built in C: zip stops at the shortest, words[n - 1:]
    return Counter(zip(*(words[i:] for i in range(n)), strict=False))


def agreement(a: Counter[tuple[str, ...]], b: Counter[tuple[str, ...]]) -> float:
    """Shared shingles over all shingles of either text: 1.0 the same text, 0.0 nothing shared."""
    shared = sum((a & b).values())
    union = a.total() + b.total() - shared  # as sum((a | b).values()), without building it
    return shared / union if union else 0.0


def referee(page: str) -> Counter[tuple[str, ...]]:
    """The shingles of resiliparse's main-content text of ``page``; empty when there is none
    (or the page is too large to ask)."""
    return shingles(main_text(page)) if len(page) <= MAX_PAGE else Counter()


def closer(
    body: str,
    other: str,
    judge: Counter[tuple[str, ...]],
    to_text: Callable[[str], str],
) -> str:
    """``other`` where ``body`` is empty, or agrees less with the referee's shingles ``judge``
    than ``other`` does; otherwise ``body``."""
    if not body.strip():
        return other
    mine = agreement(shingles(to_text(body)), judge)
    return other if agreement(shingles(to_text(other)), judge) > mine else body


def choose(
    body: str,
    page: str,
    tree: Any,
    *,
    to_text: Callable[[str], str],
    render: Callable[[str], str],
    judge: Counter[tuple[str, ...]] | None = None,
) -> str:
    """``body`` (trafilatura's Markdown) or readability's body rendered by ``render`` from its
    HTML, whichever agrees better with resiliparse's text of ``page`` (its shingles ``judge``,
    if known already); ``tree`` is the parsed, pruned page, which readability may change.
    ``to_text`` turns Markdown into plain text."""
    if len(page) > MAX_PAGE:
        return body
    judge = referee(page) if judge is None else judge
    if not judge:
        return body
    mine = agreement(shingles(to_text(body)), judge)
    if mine >= KEEP_AGREEMENT:
        return body
    html = readability_html(tree)
    if not html:
        return body
    other = render(html)
    text = to_text(other)
    if agreement(shingles(text), judge) <= mine or cuts_structure(body, text, to_text):
        return body
    return other


def cuts_structure(body: str, other: str, to_text: Callable[[str], str]) -> bool:
    """Whether ``other`` (a plain text) leaves out a list, table or code block of ``body`` (a
    Markdown body) that lies inside the article: between blocks both bodies hold.

    readability drops short lists and tables as clutter, and resiliparse, the referee, drops
    them too, so agreement alone would trade a page's structure for a tidier paragraph.
    """
    words = _WORD.findall(other)
    whole, joined = shingles(other), f" {' '.join(words)} "
    shared = []
    blocks = [block for block in _BLOCK_GAP.split(body) if block.strip()]
    for block in blocks:
        part = _WORD.findall(to_text(block))
        if len(part) < 4:  # too short for a shingle of its own: look for the words in a row
            shared.append(not part or f" {' '.join(part)} " in joined)
        else:
            found = shingles(" ".join(part))
            shared.append(sum((found & whole).values()) >= sum(found.values()) / 2)
    for i, block in enumerate(blocks):
        if not shared[i] and _STRUCTURE.search(block) and any(shared[:i]) and any(shared[i + 1 :]):
            return True
    return False


def main_text(page: str) -> str:
    """resiliparse's main-content text of an HTML page; '' if it fails."""
    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.html import HTMLTree

    try:
        return str(extract_plain_text(HTMLTree.parse(page), main_content=True) or "")
    except Exception:  # noqa: BLE001 - a second opinion is optional; the page is still read
        return ""


def readability_html(tree: Any) -> str:
    """readability-lxml's article as an HTML fragment; '' if it finds none."""
    try:
        return str(_readability()(tree).summary(html_partial=True) or "")
    except Exception:  # noqa: BLE001 - readability raises Unparseable and worse on odd pages
        return ""


#: readability's whitespace clean-up (``readability.readability.clean``), anchored at the start
#: of a run of blanks: unanchored, the first two patterns retry at every character of a run
#: (quadratic in its length, and indentation makes long runs). A match can only start where a
#: run starts, so the result is the same (tests/test_extractors.py checks it on random text).
_LONG_BLANKS = re.compile(r"(?<!\s)\s{255,}")
_BLANKS_WITH_NEWLINE = re.compile(r"(?<!\s)\s*\n\s*")
_TABS_AND_SPACES = re.compile(r"\t|[ \t]{2,}")


def readability_clean(text: str) -> str:
    """What readability's ``clean`` gives, about four times faster."""
    text = _LONG_BLANKS.sub(" " * 255, text)
    text = _BLANKS_WITH_NEWLINE.sub("\n", text)
    return _TABS_AND_SPACES.sub(" ", text).strip()


@functools.cache
def _readability() -> Any:
    """readability-lxml's ``Document``, made faster where it spends its time, with the same
    results: on the dev pages three quarters of its time went to normalising whitespace before
    measuring a text (``readability_clean`` replaces its ``clean``, in its module: no other
    result changes), mostly in the link-density test, which measured each link again for
    every candidate around it. While it scores the paragraphs the tree does not change, so
    there each element's text is measured once. And of what its HTML cleaner does to a copy of
    the tree (a fifth of the rest), only what can change the article is done, in C where lxml
    can: the page is parsed and pruned already, and the body is rendered to Markdown, which
    shows no attributes but links."""
    import readability.readability as module
    from lxml import etree

    module.clean = readability_clean
    cleaner = module.html_cleaner

    class Readability(module.Document):  # type: ignore[misc]
        _lengths: dict[Any, int] | None = None

        def _parse(self, input: Any) -> Any:
            doc = copy.deepcopy(input)
            for image in doc.iter("image"):  # as the cleaner does: it counts images
                image.tag = "img"
            etree.strip_elements(
                doc,
                etree.Comment,
                etree.ProcessingInstruction,
                "script",
                "style",
                "link",
                with_tail=False,
            )
            etree.strip_attributes(doc, "style")
            for link in doc.iter("a"):
                href = link.get("href")
                if href is not None:  # as lxml's rewrite_links: stripped, javascript: blanked
                    link.set("href", cleaner._remove_javascript_link(href.strip()))
            doc.resolve_base_href(handle_failures="discard")
            return doc

        def score_paragraphs(self) -> Any:
            self._lengths = {}
            try:
                return super().score_paragraphs()
            finally:
                self._lengths = None

        def get_link_density(self, elem: Any) -> float:
            if self._lengths is None:  # the tree is changing: measure afresh
                return float(super().get_link_density(elem))
            links = sum(self._length(link) for link in elem.iterdescendants("a"))
            return links / max(self._length(elem), 1)

        def _length(self, elem: Any) -> int:
            assert self._lengths is not None
            if elem not in self._lengths:
                self._lengths[elem] = module.text_length(elem)
            return self._lengths[elem]

        def transform_misused_divs_into_paragraphs(self) -> None:
            # readability serialises each div's children to see whether a block tag starts
            # in them, again for every div around them: one pass from the leaves up finds the
            # same. Its first loop only renames divs already seen, never one inside the div
            # at hand, so the tags as they are now decide.
            blocks = module.REGEXES["divToPElementsRe"]
            holding = set()  # elements with a descendant whose start tag the pattern finds
            for el in reversed(list(self.html.iter(etree.Element))):
                parent = el.getparent()
                if parent is not None and (el in holding or blocks.search(f"<{el.tag}")):
                    holding.add(parent)
            for elem in self.tags(self.html, "div"):
                if elem not in holding:
                    elem.tag = "p"
            # readability's second loop, as it is
            for elem in self.tags(self.html, "div"):
                if elem.text and elem.text.strip():
                    p = module.fragment_fromstring("<p/>")
                    p.text = elem.text
                    elem.text = None
                    elem.insert(0, p)
                for pos, child in reversed(list(enumerate(elem))):
                    if child.tail and child.tail.strip():
                        p = module.fragment_fromstring("<p/>")
                        p.text = child.tail
                        child.tail = None
                        elem.insert(pos + 1, p)
                    if child.tag == "br":
                        child.drop_tree()

    return Readability
