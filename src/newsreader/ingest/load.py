"""Files -> Article or Problem. The kind of file is told by its content, never by its extension."""

from __future__ import annotations

import hashlib
import json
import os
import re
from datetime import datetime
from typing import Any

import yaml
from frontmatter.default_handlers import SafeLoader, YAMLHandler

from newsreader.ingest.clean import clean, html_title, text_title, to_text
from newsreader.ingest.coerce import (
    as_datetime,
    as_int,
    as_list,
    as_str,
    as_str_list,
    as_text,
    jsonable,
)
from newsreader.ingest.decode import MAX_BYTES, decode, looks_binary, read_capped
from newsreader.ingest.sanitize import clean_line, clean_text
from newsreader.ingest.urls import canonical_url, domain_of, safe_url
from newsreader.model import Article, Image, Problem, RelatedLink

#: Front matter larger or deeper than this is refused before the YAML parser sees it: the C parser
#: segfaults on tens of thousands of nested brackets, which no try/except can catch.
MAX_FRONT_MATTER = 256 * 1024
MAX_NESTING = 64
MAX_ALIASES = 64
MAX_RELATED = 200
MAX_IMAGES = 50

_FM_START = re.compile(r"\A\s*---[ \t]*\n")
_HTML_START = re.compile(r"\A\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body)\b", re.I | re.S)
_HTML_TAG = re.compile(r"<(p|div|br|a|span|h[1-6]|li|ul|table|img|article|section)\b[^>]*>", re.I)
_MD_HEADING = re.compile(r"^(#{1,6})\s+(\S.*?)\s*#*\s*$", re.M)
_MD_SETEXT = re.compile(r"\A\s*([^\n]{3,200})\n(=+|-+)\s*$", re.M)
_XML_NOT_ARTICLE = re.compile(r"\A\s*(<\?xml[^>]*>\s*)?<(urlset|sitemapindex|rss|feed|svg|plist)\b", re.I)
_CONFIG_LINE = re.compile(r"^\s*(\[[\w.\- ]+\]|[\w.\-]+\s*[=:]\s*\S.*|#.*|;.*)?\s*$")
_DATE_KEYS = ("publishedDateTime", "datePublished", "published", "date", "pubDate", "created")
_URL_KEYS = ("originalUrl", "url", "link", "canonical", "canonicalUrl", "webUrl")
_AMP_KEYS = ("ampWebUrl", "cdnAmpWebUrl", "ampUrl")
_KNOWN = {
    "title",
    "excerpt",
    "description",
    "summary",
    "provider",
    "source",
    "topics",
    "tags",
    "categories",
    "images",
    "image",
    "related",
    "type",
    "webUrl",
    *_DATE_KEYS,
    *_URL_KEYS,
    *_AMP_KEYS,
}


class NotAnArticle(Exception):
    """The file is readable but is not an article (JSON, a sitemap, configuration…)."""


def load_file(path: str) -> Article | Problem:
    """Read, decode, detect, parse and clean one file. Never raises."""
    try:
        data = read_capped(path, MAX_BYTES)
    except (OSError, ValueError) as error:
        return Problem(path, f"unreadable: {error.strerror or error}" if isinstance(error, OSError) and error.strerror else f"unreadable: {error}")
    if not data.strip():
        return Problem(path, "empty file")
    if looks_binary(data):
        return Problem(path, "binary file, not an article")
    try:
        return parse_text(decode(data), path)
    except NotAnArticle as error:
        return Problem(path, f"not an article: {error}")
    except Exception as error:  # noqa: BLE001 - a bad file must never stop a sync
        return Problem(path, f"could not parse: {type(error).__name__}: {clean_line(str(error), 200)}")


def detect_kind(text: str) -> str:
    """One of ``frontmatter``, ``html``, ``markdown``, ``text``; raises NotAnArticle otherwise."""
    if _FM_START.match(text):
        return "frontmatter"
    head = text[:4096]
    stripped = head.lstrip()
    if _XML_NOT_ARTICLE.match(head):
        raise NotAnArticle("an XML sitemap, feed or image")
    if _HTML_START.match(head) or len(_HTML_TAG.findall(head)) >= 5:
        return "html"
    if stripped[:1] in "{[" and _is_json(text):
        raise NotAnArticle("JSON data")
    lines = [line for line in head.splitlines() if line.strip()]
    if len(lines) >= 3 and all(_CONFIG_LINE.match(line) for line in lines) and not _MD_HEADING.search(head):
        raise NotAnArticle("configuration or key-value data")
    if _MD_HEADING.search(head) or _MD_SETEXT.match(head):
        return "markdown"
    return "text"


def parse_text(text: str, path: str) -> Article:
    """Parse decoded text of any kind into an Article."""
    text = clean_text(text)
    kind = detect_kind(text)
    if kind == "frontmatter":
        return _from_front_matter(text, path)
    if kind == "html":
        return _from_html(text, path)
    if kind == "markdown":
        title = _markdown_title(text)
        return _finish(path, kind, title, clean(text, "markdown", title=title))
    if len(text.split()) < 20:
        raise NotAnArticle("too little text")
    title = text_title(text)
    return _finish(path, kind, title, clean(text, "text", title=title))


def _is_json(text: str) -> bool:
    try:
        json.loads(text[:MAX_BYTES])
    except ValueError:
        return False
    return True


def _markdown_title(text: str) -> str:
    match = _MD_HEADING.search(text) or _MD_SETEXT.match(text)
    return clean_line(match.group(2) if match and match.re is _MD_HEADING else match.group(1)) if match else ""


def _finish(
    path: str,
    kind: str,
    title: str,
    body: str,
    *,
    fields: dict[str, Any] | None = None,
) -> Article:
    """Fill what is missing (title, excerpt, id) and build the Article."""
    fields = fields or {}
    excerpt = fields.pop("excerpt", "") or _first_paragraph(body)
    if not title:
        title = clean_line(excerpt, 120) or clean_line(os.path.splitext(os.path.basename(path))[0])
    url_keys = [key for key in dict.fromkeys(fields.pop("url_keys", [])) if key]
    if url_keys:
        identity = "url:" + url_keys[0]
    else:
        normal = " ".join((title + "\n" + to_text(body)).lower().split())
        identity = "text:" + normal
    article_id = hashlib.blake2b(identity.encode(), digest_size=8).hexdigest()
    return Article(
        id=article_id,
        path=path,
        title=clean_line(title, 300),
        kind=kind,
        body=body,
        excerpt=excerpt,
        url_keys=url_keys,
        **fields,
    )


def _first_paragraph(body: str, limit: int = 300) -> str:
    for block in to_text(body).split("\n\n"):
        line = clean_line(block, limit)
        if len(line) > 40:
            return line
    return ""


# -- front matter ---------------------------------------------------------------------------------


def _from_front_matter(text: str, path: str) -> Article:
    match = _FM_START.match(text)
    assert match is not None
    handler = YAMLHandler()
    try:
        _, raw_fm, content = handler.FM_BOUNDARY.split(text[match.start() :].lstrip(), 2)
    except ValueError:
        raise ValueError("unterminated front matter (no closing ---)") from None
    meta = _load_yaml(raw_fm)
    content = content.strip()
    fields = _fields(meta)
    title = fields.pop("title")
    body = ""
    if content:
        inner = "html" if _HTML_START.match(content) or _HTML_TAG.search(content[:4096]) else "markdown"
        body = clean(content, inner, title=title, excerpt=fields.get("excerpt", ""))
    if not title and body:
        title = _markdown_title(body)
    return _finish(path, "frontmatter", title, body, fields=fields)


def _load_yaml(raw: str) -> dict[str, Any]:
    """Parse front matter with the C safe loader, after bounding what it can be made to do."""
    if len(raw) > MAX_FRONT_MATTER:
        raise ValueError(f"front matter too large ({len(raw)} bytes)")
    if _nesting(raw) > MAX_NESTING:
        raise ValueError("front matter nested too deeply")
    if raw.count("*") > MAX_ALIASES and len(re.findall(r"(?<![\w*])\*[\w-]+", raw)) > MAX_ALIASES:
        raise ValueError("front matter uses too many YAML aliases")
    try:
        meta = yaml.load(raw, Loader=SafeLoader)  # noqa: S506 - SafeLoader (CSafeLoader when built)
    except yaml.YAMLError as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 2})" if mark is not None else ""
        raise ValueError(f"invalid YAML front matter{where}: {clean_line(first, 120)}") from None
    if meta is None:
        return {}
    if not isinstance(meta, dict):
        raise ValueError(f"front matter is a {type(meta).__name__}, not a mapping")
    return meta


def _nesting(raw: str) -> int:
    """The deepest flow-bracket or indentation nesting, measured without parsing."""
    depth = deepest = 0
    for char in raw:
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth = max(0, depth - 1)
    indent = max((len(line) - len(line.lstrip(" -")) for line in raw.splitlines()), default=0)
    return max(deepest, indent // 2)


def _fields(meta: dict[str, Any]) -> dict[str, Any]:
    """Coerce the known front-matter fields; keep the rest as extras."""
    meta = {str(key) if not isinstance(key, str) else key: value for key, value in meta.items()}
    provider = meta.get("provider", meta.get("source"))
    if isinstance(provider, dict):
        provider_name, provider_domain = as_str(provider.get("name"), 120), as_str(provider.get("domain"), 120)
    else:
        provider_name, provider_domain = as_str(provider, 120), ""
    urls = [safe_url(meta.get(key)) for key in _URL_KEYS]
    url = next((u for u in urls if u), "")
    web_url = safe_url(meta.get("webUrl")) or url
    if not provider_domain:
        provider_domain = domain_of(url or web_url)
    keys = [canonical_url(u) for u in [url, web_url, *(meta.get(k) for k in _AMP_KEYS)]]
    published = next(
        (d for d in (as_datetime(meta.get(key)) for key in _DATE_KEYS) if d is not None), None
    )
    topics = as_str_list(meta.get("topics", meta.get("tags", meta.get("categories"))))
    return {
        "title": as_str(meta.get("title"), 1000),
        "excerpt": as_text(meta.get("excerpt", meta.get("description", meta.get("summary"))), 2000),
        "published": published,
        "url": url,
        "web_url": web_url,
        "provider": provider_name or provider_domain,
        "domain": provider_domain,
        "topics": topics,
        "images": _images(meta.get("images", meta.get("image"))),
        "related": _related(meta.get("related")),
        "type": as_str(meta.get("type"), 40) or "article",
        "extras": {key: jsonable(value) for key, value in meta.items() if key not in _KNOWN},
        "url_keys": keys,
    }


def _images(value: Any) -> list[Image]:
    images = []
    for item in as_list(value, MAX_IMAGES):
        raw = item.get("url") if isinstance(item, dict) else item
        url = safe_url(raw)
        if url:
            width = as_int(item.get("width")) if isinstance(item, dict) else None
            height = as_int(item.get("height")) if isinstance(item, dict) else None
            images.append(Image(url, width, height))
    return images


def _related(value: Any) -> list[RelatedLink]:
    if not isinstance(value, list):
        return []
    links = []
    for item in value[:MAX_RELATED]:
        if not isinstance(item, dict):
            continue
        url = safe_url(item.get("webUrl")) or safe_url(item.get("url")) or safe_url(item.get("originalUrl"))
        if not url:
            continue
        provider = item.get("provider")
        name = as_str(provider.get("name"), 120) if isinstance(provider, dict) else as_str(provider, 120)
        domain = as_str(provider.get("domain"), 120) if isinstance(provider, dict) else ""
        links.append(
            RelatedLink(
                title=as_str(item.get("title"), 300) or url,
                url=url,
                excerpt=as_text(item.get("excerpt"), 1000),
                provider=name or domain or domain_of(url),
                domain=domain or domain_of(url),
                published=as_datetime(item.get("publishedDateTime", item.get("published"))),
                key=canonical_url(url),
            )
        )
    return links


# -- HTML pages -----------------------------------------------------------------------------------

_META = re.compile(r"<meta\s+[^>]*>", re.I)
_ATTR = re.compile(r"""([\w:-]+)\s*=\s*("([^"]*)"|'([^']*)'|([^\s>]+))""")
_CANONICAL = re.compile(r"""<link\s+[^>]*rel=["']?canonical["']?[^>]*>""", re.I)


def _html_meta(html: str) -> dict[str, str]:
    """``<meta>`` name/property -> content, and the canonical link, from the page head."""
    head = html[:200_000]
    found: dict[str, str] = {}
    for tag in _META.findall(head):
        attrs = {m.group(1).lower(): m.group(3) or m.group(4) or m.group(5) or "" for m in _ATTR.finditer(tag)}
        key = (attrs.get("property") or attrs.get("name") or attrs.get("itemprop") or "").lower()
        if key and "content" in attrs and key not in found:
            found[key] = attrs["content"]
    link = _CANONICAL.search(head)
    if link:
        href = {m.group(1).lower(): m.group(3) or m.group(4) or m.group(5) or "" for m in _ATTR.finditer(link.group(0))}
        found.setdefault("canonical", href.get("href", ""))
    return found


def _from_html(html: str, path: str) -> Article:
    import html as htmllib

    meta = {key: htmllib.unescape(value) for key, value in _html_meta(html).items()}
    title = html_title(html)
    excerpt = as_text(meta.get("og:description") or meta.get("description"), 2000)
    url = safe_url(meta.get("canonical")) or safe_url(meta.get("og:url")) or ""
    published: datetime | None = None
    for key in ("article:published_time", "datepublished", "date", "pubdate", "dc.date"):
        published = as_datetime(meta.get(key))
        if published:
            break
    domain = domain_of(url)
    fields: dict[str, Any] = {
        "excerpt": excerpt,
        "published": published,
        "url": url,
        "web_url": url,
        "provider": as_str(meta.get("og:site_name"), 120) or domain,
        "domain": domain,
        "topics": as_str_list(meta.get("keywords") or meta.get("article:section"), 10),
        "images": _images(meta.get("og:image")),
        "url_keys": [canonical_url(url)],
    }
    body = clean(html, "html", title=title, excerpt=excerpt)
    return _finish(path, "html", title, body, fields=fields)
