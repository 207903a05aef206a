"""Plain data shared by every layer: articles, their links, the problems met on the way, and
what the library hands the UI (views, rows, stories, counts). No imports beyond the standard
library, so the UI can name these types without loading ingest or SQLite code."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


@dataclass(slots=True)
class Image:
    """An image named by the article's front matter."""

    url: str
    width: int | None = None
    height: int | None = None


@dataclass(slots=True)
class RelatedLink:
    """One entry of an article's ``related[]``: other coverage of the story."""

    title: str
    url: str
    excerpt: str = ""
    provider: str = ""
    domain: str = ""
    published: datetime | None = None
    #: The canonical key of ``url`` (see ``ingest.ids.canonical_url``), used to find local copies.
    key: str = ""


@dataclass(slots=True)
class Article:
    """One article, whatever file it came from. Every text field is already sanitised."""

    id: str
    path: str
    title: str
    kind: str
    body: str = ""
    excerpt: str = ""
    published: datetime | None = None
    url: str = ""
    web_url: str = ""
    provider: str = ""
    domain: str = ""
    topics: list[str] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    related: list[RelatedLink] = field(default_factory=list)
    type: str = "article"
    extras: dict[str, Any] = field(default_factory=dict)
    #: Canonical URL keys this article answers to (url, web, AMP variants), for link resolution.
    url_keys: list[str] = field(default_factory=list)
    #: Every file holding this article; ``path`` is the first.
    paths: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.paths:
            self.paths = [self.path]

    def to_json(self, *, with_body: bool = False) -> dict[str, Any]:
        """A JSON-ready dict with ISO 8601 dates."""
        data = asdict(self)
        data["published"] = self.published.isoformat() if self.published else None
        for link, raw in zip(self.related, data["related"], strict=True):
            raw["published"] = link.published.isoformat() if link.published else None
        if not with_body:
            data.pop("body")
        # Lookup keys of the ingest step, not part of the article (the cache keeps its own).
        data.pop("url_keys", None)
        return data


@dataclass(slots=True, frozen=True)
class Problem:
    """A file that was skipped, and why."""

    path: str
    reason: str


@dataclass(frozen=True)
class View:
    """What the article list shows: a query plus the tree's choice and quick filters."""

    query: str = ""
    topic: str | None = None
    source: str | None = None
    unread: bool = False
    starred: bool = False
    #: Substring filter as you type (title, source, topic).
    quick: str = ""
    #: Only the reports of one story.
    story: str | None = None
    #: Only the issues of one recurring series (``Library.series``).
    series: str | None = None
    #: Only the articles with a file in this folder (absolute): one feed's items, which a
    #: fetch writes to ``feeds/<slug>-<digest>/`` (``feeds.store.feed_folder``).
    feed: str | None = None
    #: Order of a list that is not a text search: newest, oldest, title or source.
    sort: str = "newest"


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the article list: no body."""

    rowid: int
    id: str
    title: str
    provider: str
    published: datetime | None
    read: bool
    starred: bool
    snippet: str = ""
    #: Arrived since the previous visit (see ``Library.new_after``).
    new: bool = False


@dataclass
class Link:
    """A related link with the local article it resolves to, if the library has it."""

    link: RelatedLink
    local: Row | None = None


@dataclass
class Story:
    """A story: reports of the same event, grouped by similarity, links and dates."""

    id: str
    size: int
    newest: datetime | None
    title: str


@dataclass(frozen=True, slots=True)
class Series:
    """A recurring series: one source's title pattern on many days (a daily newsletter)."""

    id: str
    #: The pattern shown clean: a member's title without its date or number.
    title: str
    size: int
    unread: int


@dataclass
class Counts:
    """A topic's or source's name with its totals."""

    name: str
    total: int
    unread: int
