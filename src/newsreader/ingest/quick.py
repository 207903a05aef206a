"""A file's cheap metadata, for the first phase of a big index (``library.bodies``).

The first phase lists every article: its title, date, source, topics and related links come
from the front matter, an HTML page's ``<meta>`` tags and ``<title>``, a Markdown heading or a
page dump's first short line. Nothing here imports or runs the extractor (trafilatura, lxml,
jusText): that is the second phase's work, in ``load.load_file``.

An article with nothing to clean (front matter with no body) comes out exactly as ``load_file``
gives it, and is *complete*. Any other comes out with an empty body and is cleaned later. Its id
is the final one when it has a URL; without one the final id hashes the cleaned text, so until
then it has a provisional id hashed from the raw text (copies of one file share it), and the
second phase moves the marks made on it to the final id.
"""

from __future__ import annotations

import hashlib
import html as htmllib
import os
import re
from datetime import datetime
from typing import Any

from newsreader.ingest.coerce import as_datetime, as_str, as_str_list, as_text
from newsreader.ingest.decode import MAX_BYTES, decode, looks_binary, read_capped
from newsreader.ingest.front_matter import BadArticle
from newsreader.ingest.load import (
    _HTML_START,
    _HTML_TAG,
    MAX_TITLE_SCAN,
    NotAnArticle,
    Unterminated,
    _first_line_title,
    _html_meta,
    _images,
    _markdown_title,
    cut_blank_runs,
    detect_kind,
    read_front_matter,
)
from newsreader.ingest.mail import is_mail, messages
from newsreader.ingest.sanitize import clean_line, clean_text
from newsreader.ingest.templates import strip_templates
from newsreader.ingest.urls import canonical_url, domain_of, safe_url
from newsreader.model import Article, Problem

#: What ``quick_file`` gives: the article or the problem, and whether the article is complete
#: (nothing left to clean).
Quick = tuple[Article | Problem, bool]

_TITLE_TAG = re.compile(r"<title\b[^<>]*>([^<]{1,2000})</title>", re.I)
_TAG = re.compile(r"<[^<>]{0,2000}>")


def quick_file(path: str) -> Quick:
    """Read one file's cheap metadata. Never raises; a problem is complete."""
    try:
        data = read_capped(path, MAX_BYTES)
    except (OSError, ValueError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else error
        return Problem(path, f"unreadable: {reason}"), True
    if not data.strip():
        return Problem(path, "empty file"), True
    if looks_binary(data):
        return Problem(path, "binary file, not an article"), True
    try:
        return _quick_text(decode(data[:MAX_BYTES]), path)
    except NotAnArticle as error:
        return Problem(path, f"not an article: {error}"), True
    except Unterminated as error:
        if len(data) >= MAX_BYTES:
            mb = MAX_BYTES // (1024 * 1024)
            return Problem(path, f"too large: front matter not closed in the first {mb} MB"), True
        return Problem(path, str(error)), True
    except BadArticle as error:
        return Problem(path, str(error)), True
    except Exception as error:  # noqa: BLE001 - a bad file must never stop a sync
        reason = clean_line(str(error), 200)
        return Problem(path, f"could not parse: {type(error).__name__}: {reason}"), True


def _quick_text(text: str, path: str) -> Quick:
    text = cut_blank_runs(clean_text(text))
    if is_mail(text[:4096]):
        message = messages(text)[0]
        fields: dict[str, Any] = {
            "published": as_datetime(message.date),
            "provider": clean_line(message.sender, 120) or message.domain,
            "domain": message.domain,
        }
        return _listed(path, "mail", clean_line(message.subject, 300), text, fields), False
    kind = detect_kind(text)
    if kind == "frontmatter":
        return _quick_front_matter(text, path)
    if kind == "html":
        return _quick_html(text, path)
    if kind == "markdown":
        return _listed(path, kind, _markdown_title(text), text, {}), False
    if len(text.split()) < 20:
        raise NotAnArticle("too little text")
    return _listed(path, kind, _first_line_title(text) or _headline(text), text, {}), False


def _headline(text: str) -> str:
    """A page dump's headline candidate: its first line of 3 to 20 words that does not end like
    a sentence. The dump classifier finds the real one in the second phase."""
    for line in text[:MAX_TITLE_SCAN].splitlines()[:60]:
        line = line.strip()
        if 3 <= len(line.split()) <= 20 and len(line) <= 200 and line[-1] not in ".,;:!?":
            return clean_line(line)
    return ""


def _quick_front_matter(text: str, path: str) -> Quick:
    title, fields, content = read_front_matter(text)
    if not content:
        return _complete(path, title, fields), True
    if not title and not (_HTML_START.match(content) or _HTML_TAG.search(content[:4096])):
        title = _markdown_title(content)
    return _listed(path, "frontmatter", title, text, fields), False


def _complete(path: str, title: str, fields: dict[str, Any]) -> Article:
    """What ``load._finish`` gives for front matter with no body (so no cleaning to wait for)."""
    title = strip_templates(title)
    excerpt = fields.pop("excerpt", "")
    if not title:
        title = clean_line(excerpt, 120) or clean_line(os.path.splitext(os.path.basename(path))[0])
    url_keys = [key for key in dict.fromkeys(fields.pop("url_keys", [])) if key]
    if url_keys:
        identity = "url:" + url_keys[0]
    else:
        identity = "text:" + " ".join((title + "\n").lower().split())
    return Article(
        id=_hash(identity),
        path=path,
        title=clean_line(title, 300),
        kind="frontmatter",
        excerpt=excerpt,
        url_keys=url_keys,
        **fields,
    )


def _quick_html(html: str, path: str) -> Quick:
    meta = {key: htmllib.unescape(value) for key, value in _html_meta(html).items()}
    url = safe_url(meta.get("canonical")) or safe_url(meta.get("og:url")) or ""
    published: datetime | None = None
    for key in ("article:published_time", "datepublished", "date", "pubdate", "dc.date"):
        published = as_datetime(meta.get(key))
        if published:
            break
    domain = domain_of(url)
    fields: dict[str, Any] = {
        "excerpt": as_text(meta.get("og:description") or meta.get("description"), 2000),
        "published": published,
        "url": url,
        "web_url": url,
        "provider": as_str(meta.get("og:site_name"), 120) or domain,
        "domain": domain,
        "topics": as_str_list(meta.get("keywords") or meta.get("article:section"), 10),
        "images": _images(meta.get("og:image")),
        "url_keys": [canonical_url(url)],
    }
    title = meta.get("og:title", "")
    if not title.strip() and (found := _TITLE_TAG.search(html[:200_000])):
        title = htmllib.unescape(found.group(1))
    return _listed(path, "html", clean_line(_TAG.sub(" ", title)), html, fields), False


def _listed(path: str, kind: str, title: str, raw: str, fields: dict[str, Any]) -> Article:
    """An article to list now and clean later: no body yet, and a provisional id unless its
    URL gives the final one."""
    title = strip_templates(title)
    excerpt = fields.pop("excerpt", "")
    if not title:
        title = clean_line(excerpt, 120) or clean_line(os.path.splitext(os.path.basename(path))[0])
    url_keys = [key for key in dict.fromkeys(fields.pop("url_keys", [])) if key]
    identity = "url:" + url_keys[0] if url_keys else "raw:" + raw
    return Article(
        id=_hash(identity),
        path=path,
        title=clean_line(title, 300),
        kind=kind,
        excerpt=excerpt,
        url_keys=url_keys,
        **fields,
    )


def _hash(identity: str) -> str:
    return hashlib.blake2b(identity.encode(), digest_size=8).hexdigest()
