"""Plain data shared by every layer: articles, their links and the problems met on the way."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

#: The kinds of article file that ingest recognises, by content.
KINDS = ("frontmatter", "html", "markdown", "text")


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
