"""Subscriptions: an OPML file in the library's folder, read and written with the same code
that imports and exports OPML for other readers (newsboat, Feedly, Thunderbird ...).

The file is ``DIR/.feeds.opml``: hidden, so the folder's scan never takes it for an article,
and still a file a person can open and edit. Nested outlines are topics.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

from newsreader.feeds.parse import ENTITY_DECLS, FeedError
from newsreader.ingest.sanitize import clean_line, clean_text
from newsreader.ingest.urls import safe_url

FILE_NAME = ".feeds.opml"
#: An OPML file of 10,000 subscriptions is about 2 MB.
MAX_OPML = 8 * 1024 * 1024
MAX_DEPTH = 16


@dataclass(frozen=True, slots=True)
class Subscription:
    """One feed the folder subscribes to."""

    url: str
    title: str = ""
    #: The folders it sits in, outermost first: its items get these as topics.
    topics: tuple[str, ...] = ()
    #: Fetch each item's page and extract the article (for feeds that carry only a summary).
    full: bool = False
    site_url: str = ""


def subscriptions_path(folder: str | os.PathLike[str]) -> Path:
    """Where the folder's subscriptions live."""
    return Path(folder) / FILE_NAME


def load_subscriptions(folder: str | os.PathLike[str]) -> list[Subscription]:
    """The folder's subscriptions; none if it has no file. Raises FeedError if it is broken."""
    path = subscriptions_path(folder)
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_OPML + 1)
    except FileNotFoundError:
        return []
    except OSError as error:
        raise FeedError(f"{path}: {error.strerror or error}") from None
    try:
        return read_opml(data)
    except FeedError as error:
        raise FeedError(f"{path}: {error}") from None


def save_subscriptions(folder: str | os.PathLike[str], subs: list[Subscription]) -> Path:
    """Write the folder's subscriptions, atomically."""
    path = subscriptions_path(folder)
    atomic_write(path, render_opml(subs, "newsreader subscriptions").encode("utf-8"))
    return path


def read_opml(data: bytes) -> list[Subscription]:
    """Subscriptions from OPML 1.0 or 2.0: ``xmlUrl`` (or 1.0's ``url``) outlines, with the
    titles of the outlines around them as topics. Raises FeedError for what can't be read."""
    if len(data) > MAX_OPML:
        raise FeedError(f"OPML file over {MAX_OPML // (1024 * 1024)} MB")
    _refuse_entities(data)
    try:
        root = ET.fromstring(data)
    except ET.ParseError as error:
        # Control characters (terminal escapes in a title, as older versions could write) make
        # XML ill-formed: the file is read again without them rather than lost whole. Checked
        # again: removing them can put a declaration together (``<!EN\x01TITY``).
        cleaned = clean_text(data.decode("utf-8", "replace")).encode("utf-8")
        _refuse_entities(cleaned)
        try:
            root = ET.fromstring(cleaned)
        except ET.ParseError:
            raise FeedError(f"not OPML: {clean_line(str(error), 120)}") from None
    if root.tag.lower() != "opml":
        raise FeedError(f"not OPML: the document is <{clean_line(root.tag, 40)}>")
    body = next((child for child in root if child.tag.lower() == "body"), None)
    found: dict[str, Subscription] = {}
    if body is not None:
        _walk(body, (), found, 0)
    return list(found.values())


def _refuse_entities(data: bytes) -> None:
    if any(marker in data for marker in ENTITY_DECLS):
        raise FeedError("the OPML file declares XML entities (refused: entity expansion)")


def _walk(
    node: ET.Element, path: tuple[str, ...], found: dict[str, Subscription], depth: int
) -> None:
    if depth > MAX_DEPTH:
        return
    for child in node:
        if child.tag.lower() != "outline":
            continue
        attrs = {key.lower(): value for key, value in child.attrib.items()}
        name = clean_line(attrs.get("title") or attrs.get("text") or "", 120)
        url = safe_url(attrs.get("xmlurl") or attrs.get("url") or "")
        if url:
            name = "" if name in (url, attrs.get("xmlurl")) else name  # written for a blank title
            topics = path or _categories(attrs.get("category", ""))
            if url not in found:
                found[url] = Subscription(
                    url=url,
                    title=name,
                    topics=topics,
                    full=attrs.get("full", "").lower() == "true",
                    site_url=safe_url(attrs.get("htmlurl") or "") or "",
                )
        else:
            _walk(child, (*path, name) if name else path, found, depth + 1)


def _categories(value: str) -> tuple[str, ...]:
    """OPML 2.0's ``category="/Tech/AI,/News"``: the first path, as topics."""
    first = value.split(",")[0]
    return tuple(t for t in (clean_line(p, 120) for p in first.split("/")) if t)


def render_opml(subs: list[Subscription], title: str) -> str:
    """OPML 2.0, the subscriptions nested in outlines by their topics."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    ET.SubElement(head, "dateCreated").text = format_datetime(datetime.now(UTC))
    body = ET.SubElement(root, "body")
    folders: dict[tuple[str, ...], ET.Element] = {(): body}
    for sub in subs:
        parent = body
        for depth in range(1, len(sub.topics) + 1):
            key = sub.topics[:depth]
            if key not in folders:
                name = _xml_line(key[-1])
                folders[key] = ET.SubElement(parent, "outline", text=name, title=name)
            parent = folders[key]
        name = _xml_line(sub.title) or sub.url
        attrs = {"type": "rss", "text": name, "title": name}
        attrs["xmlUrl"] = sub.url
        if sub.site_url:
            attrs["htmlUrl"] = sub.site_url
        if sub.full:
            attrs["full"] = "true"
        ET.SubElement(parent, "outline", attrs)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def _xml_line(text: str) -> str:
    """A title or folder name as the file may hold it: one clean line, without the characters
    XML 1.0 cannot carry (written, they would make the whole file unreadable next time)."""
    return _NOT_XML.sub("", clean_line(text, 300))


_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``path`` through a temporary file in the same folder and a rename, so a reader
    never sees half a file and a crash leaves the old one whole."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
