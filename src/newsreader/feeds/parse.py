"""Feed bytes -> FeedItems: RSS 0.9x/1.0/2.0 and Atom through feedparser, JSON Feed by hand.

Feeds are untrusted input like any file: titles and topics go through ingest's ``clean_line``,
every URL through ``safe_url`` (after resolving relative ones against the feed's address), and
a document that declares XML entities is refused before any parser sees it.
"""

from __future__ import annotations

import calendar
import hashlib
import html
import json
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

from newsreader.ingest.coerce import as_datetime
from newsreader.ingest.sanitize import clean_line, clean_text
from newsreader.ingest.urls import domain_of, safe_url

#: At most this many items are kept from one document: a feed of 10,000 items is cut, not
#: written whole on every fetch. Real feeds carry 10 to 100.
MAX_ITEMS = 1000
MAX_TOPICS = 20
MAX_IMAGES = 10
#: A body longer than this is cut: ingest reads at most 16 MiB a file, and a feed item's body
#: is seldom over 100 kB.
MAX_BODY = 2 * 1024 * 1024

_TAG = re.compile(r"<[^>]*>")
_LINK_TAG = re.compile(r"<link\b[^>]*>", re.I)
_ATTR = re.compile(r"""([\w:-]+)\s*=\s*("([^"]*)"|'([^']*)'|([^\s>]+))""")
_FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "application/json",
    "application/rdf+xml",
)
#: An XML document that declares entities: the billion laughs (nested) and the quadratic blowup
#: (one long entity used many times) both need a declaration; real feeds never have one.
ENTITY_DECLS = (b"<!ENTITY", "<!ENTITY".encode("utf-16-le"), "<!ENTITY".encode("utf-16-be"))


class FeedError(Exception):
    """The document is not a feed that can be read; the message says why, in one line."""


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One entry of a feed, its text cleaned and its URLs checked (plain data, picklable)."""

    guid: str
    title: str
    link: str = ""
    published: datetime | None = None
    excerpt: str = ""
    #: The body as the feed gave it: HTML, or plain text.
    body: str = ""
    topics: tuple[str, ...] = ()
    images: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """What a feed document says: its title, home page and items, and a warning if it was
    damaged but partly readable."""

    title: str
    site_url: str
    items: list[FeedItem] = field(default_factory=list)
    warning: str = ""
    #: ``rss20``, ``atom10``, ``json`` ...
    version: str = ""


def parse_feed(data: bytes, url: str, content_type: str = "") -> ParsedFeed:
    """Parse a feed document fetched from ``url`` (relative links resolve against it).

    Raises FeedError for what is no feed (an HTML page, an error text) or is refused.
    """
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith((b"{", b"[")) or "json" in content_type.lower():
        return parse_json_feed(data, url)
    if any(marker in data for marker in ENTITY_DECLS):
        raise FeedError("the feed declares XML entities (refused: entity expansion)")
    import feedparser  # type: ignore[import-untyped]  # 60 ms: only a fetch needs it (issue 20)

    # Bytes, never a str: feedparser.parse() would take a str for a URL or a file name.
    parsed = feedparser.parse(
        bytes(data),
        response_headers={"content-location": url, "content-type": content_type or "text/xml"},
        sanitize_html=False,  # ingest cleans bodies (lxml, to Markdown) when it reads them
        # Its pass over every body to resolve links cost a sixth of the parse; the body's
        # links are resolved where it is rendered (``_body``), and an item's link in ``_url``.
        resolve_relative_uris=False,
    )
    if not parsed.get("version") and not parsed.entries:
        reason = parsed.get("bozo_exception")
        raise FeedError(f"not a feed{': ' + clean_line(str(reason), 120) if reason else ''}")
    meta = parsed.feed
    site_url = _url(meta.get("link"), url)
    items = _unique(_entry(e, url) for e in parsed.entries[: MAX_ITEMS * 2])
    warning = ""
    if parsed.get("bozo") and parsed.get("bozo_exception") is not None:
        reason = clean_line(str(parsed.bozo_exception), 120)
        if not isinstance(parsed.bozo_exception, feedparser.CharacterEncodingOverride):
            warning = f"damaged feed, {len(items)} items read: {reason}"
    return ParsedFeed(
        title=_plain(meta.get("title", "")) or domain_of(site_url or url),
        site_url=site_url,
        items=items,
        warning=warning,
        version=str(parsed.get("version") or "unknown"),
    )


def parse_json_feed(data: bytes, url: str) -> ParsedFeed:
    """A JSON Feed (1.0 or 1.1) document; raises FeedError for other JSON or broken JSON."""
    try:
        doc = json.loads(data.decode("utf-8-sig", "replace"))
    except (ValueError, RecursionError) as error:
        raise FeedError(f"not a feed: broken JSON ({clean_line(str(error), 80)})") from None
    if not isinstance(doc, dict) or not str(doc.get("version", "")).startswith(
        "https://jsonfeed.org/version/"
    ):
        raise FeedError("not a feed: JSON, but no JSON Feed version")
    base = _url(doc.get("feed_url"), url) or url
    raw_items = doc.get("items")
    items = []
    for raw in raw_items[: MAX_ITEMS * 2] if isinstance(raw_items, list) else []:
        if isinstance(raw, dict):
            items.append(_json_item(raw, base))
    return ParsedFeed(
        title=_plain(_str(doc.get("title"))) or domain_of(url),
        site_url=_url(doc.get("home_page_url"), base),
        items=_unique(items),
        version="json",
    )


def feed_links(page: str, url: str) -> list[str]:
    """Feed URLs that an HTML page announces with ``<link rel="alternate" type=...>``."""
    found = []
    for tag in _LINK_TAG.findall(page[:500_000]):
        attrs = {m[1].lower(): m[3] or m[4] or m[5] or "" for m in _ATTR.finditer(tag)}
        rel = attrs.get("rel", "").lower().split()
        kind = attrs.get("type", "").lower().split(";")[0].strip()
        if "alternate" in rel and kind in _FEED_TYPES:
            link = _url(html.unescape(attrs.get("href", "")), url)
            if link and link not in found:
                found.append(link)
    return found


# -- feedparser entries --------------------------------------------------------------------------


def _entry(entry: Any, base: str) -> FeedItem:
    link = _url(entry.get("link"), base)
    content = entry.get("content") or []
    body = _str(content[0].get("value")) if content else ""
    summary = _str(entry.get("summary"))
    body = body or summary
    stamp = entry.get("published_parsed") or entry.get("updated_parsed")
    published = _from_struct(stamp)
    images = [
        _url(e.get("href") or e.get("url"), base)
        for e in entry.get("enclosures", [])
        if _str(e.get("type")).startswith("image/")
    ]
    for media in entry.get("media_content", []):
        if _str(media.get("medium")) == "image" or _str(media.get("type")).startswith("image/"):
            images.append(_url(media.get("url"), base))
    images += [_url(m.get("url"), base) for m in entry.get("media_thumbnail", [])]
    topics = [_str(t.get("label") or t.get("term")) for t in entry.get("tags", [])]
    title = _plain(entry.get("title", ""))
    return FeedItem(
        guid=_guid(entry.get("id"), link, title, body, published),
        title=title,
        link=link,
        published=published,
        excerpt=_excerpt(summary),
        body=_body(body, base),
        topics=_topics(topics),
        images=tuple(_dedup(images)[:MAX_IMAGES]),
    )


def _json_item(raw: dict[str, Any], base: str) -> FeedItem:
    link = _url(raw.get("url"), base) or _url(raw.get("external_url"), base)
    body = _str(raw.get("content_html")) or html.escape(_str(raw.get("content_text")))
    summary = _str(raw.get("summary"))
    published = as_datetime(raw.get("date_published") or raw.get("date_modified"))
    images = [_url(raw.get("image"), base), _url(raw.get("banner_image"), base)]
    attachments = raw.get("attachments")
    for att in attachments if isinstance(attachments, list) else []:
        if isinstance(att, dict) and _str(att.get("mime_type")).startswith("image/"):
            images.append(_url(att.get("url"), base))
    tags = raw.get("tags")
    title = _plain(_str(raw.get("title")))
    ident = raw.get("id")
    return FeedItem(
        guid=_guid(
            str(ident) if isinstance(ident, str | int) else "", link, title, body, published
        ),
        title=title,
        link=link,
        published=published,
        excerpt=_excerpt(summary or body),
        body=_body(body or html.escape(summary), base),
        topics=_topics([_str(t) for t in tags] if isinstance(tags, list) else []),
        images=tuple(_dedup(images)[:MAX_IMAGES]),
    )


# -- small helpers --------------------------------------------------------------------------------


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _url(value: Any, base: str) -> str:
    """An absolute, safe http(s) URL, or ``""``."""
    text = _str(value).strip()
    if not text:
        return ""
    try:
        joined = urljoin(base, text)
    except ValueError:
        return ""
    return safe_url(joined) or ""


def _plain(value: Any, limit: int = 300) -> str:
    """One line of plain text from a title that may hold HTML tags and entities."""
    text = _str(value)
    if "<" in text:
        text = _TAG.sub(" ", text)
    return clean_line(html.unescape(text) if "&" in text else text, limit)


def _excerpt(markup: str) -> str:
    return _plain(markup[:20_000], 500)


def _body(text: str, base: str) -> str:
    """The body as Markdown, rendered as ingest renders HTML but without its article
    extraction: a feed item's HTML is the article already, and extraction made for whole pages
    drops the short paragraphs of a short item (seen: the second of two). Scripts and styles
    are not rendered; relative links resolve against ``base``, the feed's address."""
    text = clean_text(text[:MAX_BODY]).strip()
    if "<" not in text:
        return text
    import html2text  # 100 ms: only a fetch needs it (issue 20)

    converter = html2text.HTML2Text(baseurl=base)
    converter.body_width = 0
    converter.ignore_images = True
    converter.protect_links = False
    converter.unicode_snob = True
    return clean_text(converter.handle(text)).strip()


def _topics(names: list[str]) -> tuple[str, ...]:
    return tuple(_dedup([clean_line(n, 80) for n in names]))[:MAX_TOPICS]


def _dedup(values: list[str]) -> list[str]:
    return [v for v in dict.fromkeys(values) if v]


def _from_struct(stamp: Any) -> datetime | None:
    """feedparser's UTC struct_time as an aware datetime."""
    if not isinstance(stamp, time.struct_time):
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(stamp), UTC)
    except (OverflowError, ValueError, OSError):
        return None


def _guid(given: Any, link: str, title: str, body: str, published: datetime | None) -> str:
    """The item's guid as given, else its link, else a hash of what it says."""
    text = clean_line(_str(given), 1000)
    if text:
        return text
    if link:
        return link
    stamp = published.isoformat() if published else ""
    digest = hashlib.sha256(f"{title}\n{stamp}\n{body}".encode()).hexdigest()[:24]
    return f"sha256:{digest}"


def _unique(items: Any) -> list[FeedItem]:
    """The first item of each guid (duplicate guids in one document are one item)."""
    seen: set[str] = set()
    out = []
    for item in items:
        if not (item.title or item.link or item.body):
            continue  # nothing to show: a damaged document's last fragment, say
        if item.guid not in seen:
            seen.add(item.guid)
            out.append(item)
            if len(out) >= MAX_ITEMS:
                break
    return out
