"""Every filter of a view, alone, in pairs and all at once, with and without a text query,
against a brute-force filter in Python over the seeds: the ranked path, the plain path and the
count all answer the same rows."""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from newsreader.library import views
from newsreader.library.library import Library, View
from newsreader.model import Article

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


@dataclass(frozen=True)
class Known:
    """What the brute force knows of one seed article."""

    rowid: int
    article: Article
    read: bool
    starred: bool
    story: str | None


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Library, list[Known]]:
    library = Library.open(SEEDS, tmp_path_factory.mktemp("data"))
    library.sync(workers=1)
    rowids = library.rowids(View())
    articles = {r: library.article(r) for r in rowids}
    ids = {r: a.id for r, a in articles.items() if a is not None}
    # Read and starred marks that cut across the story, the topics and the sources.
    library.set_read([ids[rowids[0]], ids[rowids[3]]])
    library.set_starred([ids[rowids[1]], ids[rowids[3]], ids[rowids[4]]])
    read = {ids[rowids[0]], ids[rowids[3]]}
    starred = {ids[rowids[1]], ids[rowids[3]], ids[rowids[4]]}
    known = []
    for rowid, article in articles.items():
        assert article is not None
        known.append(
            Known(
                rowid,
                article,
                article.id in read,
                article.id in starred,
                library.story_of(article.id),
            )
        )
    return library, known


def _words(text: str) -> set[str]:
    folded = unicodedata.normalize("NFKD", text.casefold())
    return set(re.findall(r"[^\W_]+", "".join(c for c in folded if not unicodedata.combining(c))))


def _matches(known: Known, word: str) -> bool:
    a = known.article
    text = " ".join([a.title, a.excerpt, a.body, a.provider, a.domain, *a.topics])
    return word in _words(text)


def _epoch(day: str) -> int:
    return int(datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp())


def _published(known: Known) -> int | None:
    when = known.article.published
    return int(when.timestamp()) if when else None


def _in_topic(known: Known, topic: str) -> bool:
    return topic.casefold() in {t.casefold() for t in known.article.topics}


def _from(known: Known, source: str) -> bool:
    a = known.article
    return source.casefold() in a.provider.casefold() or source.casefold() in a.domain.casefold()


def _quick(known: Known, word: str) -> bool:
    a = known.article
    return any(word.casefold() in text.casefold() for text in (a.title, a.provider, *a.topics))


def _after(known: Known) -> bool:
    published = _published(known)
    return published is not None and published >= _epoch("2021-04-10")


def _before(known: Known) -> bool:
    published = _published(known)
    return published is not None and published < _epoch("2021-05-01")


@dataclass(frozen=True)
class Filter:
    """One filter: what it adds to a view (fields, query words) and which articles it keeps."""

    name: str
    fields: dict[str, Any]
    words: str
    keeps: Callable[[Known], bool]


def _filters(story: str) -> list[Filter]:
    return [
        Filter("topic", {"topic": "AI"}, "", lambda k: _in_topic(k, "AI")),
        Filter(
            "source",
            {"source": "New York Post"},
            "",
            lambda k: k.article.provider == "New York Post",
        ),
        Filter("story", {"story": story}, "", lambda k: k.story == story),
        Filter("unread", {"unread": True}, "", lambda k: not k.read),
        Filter("starred", {"starred": True}, "", lambda k: k.starred),
        Filter("quick", {"quick": "internal"}, "", lambda k: _quick(k, "internal")),
        Filter("topic:", {}, 'topic:"Computer Vision"', lambda k: _in_topic(k, "Computer Vision")),
        Filter("-topic:", {}, "-topic:AI", lambda k: not _in_topic(k, "AI")),
        Filter("source:", {}, "source:nypost", lambda k: _from(k, "nypost")),
        Filter("-source:", {}, "-source:wpix", lambda k: not _from(k, "wpix")),
        Filter("is:read", {}, "is:read", lambda k: k.read),
        Filter("is:starred", {}, "is:starred", lambda k: k.starred),
        Filter("after:", {}, "after:2021-04-10", _after),
        Filter("before:", {}, "before:2021-05-01", _before),
        Filter("-word", {}, "-koala", lambda k: not _matches(k, "koala")),
    ]


def _combinations(filters: list[Filter]) -> list[tuple[Filter, ...]]:
    singles = [(f,) for f in filters]
    return [(), *singles, *itertools.combinations(filters, 2), tuple(filters)]


def _check(library: Library, known: list[Known], text: str) -> int:
    story = next(k.story for k in known if k.story)
    checked = 0
    for combo in _combinations(_filters(story)):
        fields: dict[str, Any] = {}
        for f in combo:
            fields.update(f.fields)
        query = " ".join([text, *(f.words for f in combo)]).strip()
        view = View(query=query, **fields)
        expected = {
            k.rowid
            for k in known
            if (not text or _matches(k, text)) and all(f.keeps(k) for f in combo)
        }
        label = f"{query!r} {[f.name for f in combo]}"
        rowids = library.rowids(view)
        assert set(rowids) == expected and len(rowids) == len(expected), label
        assert library.count(view) == len(expected), label
        assert [r.rowid for r in library.page(view)] == rowids, label
        _, page, total, _ = library.first_page(view, None, 2)
        assert total == len(expected) and page == rowids[:2], label
        checked += 1
    return checked


def test_a_story_and_a_text_query_show_only_the_story(
    seeded: tuple[Library, list[Known]],
) -> None:
    # The repro: four reports in the story, five articles say "nypd".
    library, known = seeded
    story = next(k.story for k in known if k.story)
    assert story is not None
    assert len(library.rowids(View(story=story))) == 4
    assert len(library.rowids(View(story=story, query="nypd"))) == 4
    assert library.count(View(story=story, query="nypd")) == 4


@pytest.mark.parametrize("text", ["", "nypd", "clearview", "koala"])
def test_every_filter_agrees_with_a_brute_force(
    seeded: tuple[Library, list[Known]], text: str
) -> None:
    library, known = seeded
    assert _check(library, known, text) > 100


@pytest.mark.parametrize("text", ["nypd", "clearview"])
def test_every_filter_agrees_on_the_path_of_big_searches(
    seeded: tuple[Library, list[Known]], text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Past RANK_ALL matches a search takes the title-first path; force it on five articles.
    monkeypatch.setattr(views, "RANK_ALL", 1)
    library, known = seeded
    assert _check(library, known, text) > 100
