"""Files -> Article or Problem. The kind of file is told by its content, never by its extension."""

from __future__ import annotations

import hashlib
import json
import os
import re
from datetime import datetime
from typing import Any

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
from newsreader.ingest.front_matter import MAX_FRONT_MATTER, BadArticle, load_yaml
from newsreader.ingest.mail import Message, is_mail, messages
from newsreader.ingest.sanitize import clean_line, clean_text
from newsreader.ingest.templates import strip_templates
from newsreader.ingest.urls import canonical_url, domain_of, safe_url
from newsreader.model import Article, Image, Problem, RelatedLink

# Imported when parsing: ``newsreader.ingest.clean`` (trafilatura, lxml, jusText: about 0.4 s to
# import) is imported by the functions below that clean, at the first file parsed. A process
# that only reads the cache (the reader up to its first paint, the CLI's list and search) never
# loads it; the sync's forkserver preloads it for the parse workers (parsing.pool_context).

#: The fence around front matter: three or more dashes alone on a line.
_FM_BOUNDARY = re.compile(r"^-{3,}\s*$", re.MULTILINE)
#: A page dump is cleaned from its first megabyte, and its headline looked for in the first
#: quarter: real pages are far smaller, and the line classifier costs seconds per megabyte.
MAX_DUMP = 1024 * 1024
MAX_TITLE_SCAN = 256 * 1024
#: Runs of spaces and tabs are cut to this length: no real text needs more, and some Markdown
#: regexes take time quadratic in a run's length.
MAX_BLANK_RUN = 100
MAX_RELATED = 200
#: A paragraph of fewer words is a tagline or byline, not the article's opening.
MIN_SENTENCE_WORDS = 8
MAX_IMAGES = 50

_FM_START = re.compile(r"\A\s*---[ \t]*\n")
#: Leading comments in an atomic group: ``.*?`` may run past a ``-->``, and without it a file of
#: forty empty comments ``<!---->`` took minutes to fail (each split of them tried in turn).
_HTML_START = re.compile(
    r"\A\s*(?:<\?xml[^<>]*>\s*)?(?>(?:<!--.*?-->\s*)*)<(!doctype\s+html|html|head|body)\b",
    re.I | re.S,
)
_HTML_TAG = re.compile(r"<(p|div|br|a|span|h[1-6]|li|ul|table|img|article|section)\b[^<>]*>", re.I)
#: An ATX heading line; its closing ``#`` run is stripped in Python (_heading_text): in the regex
#: (``\s*#*\s*$`` after a lazy text) a line of 32,000 ``#`` took 18 s.
_MD_HEADING = re.compile(r"^(#{1,6})[ \t]+(\S[^\n]*)", re.M)
_MD_SETEXT = re.compile(r"\A\s*([^\n]{3,200})\n(=+|-+)\s*$", re.M)
_XML_NOT_ARTICLE = re.compile(
    r"\A\s*(<\?xml[^>]*>\s*)?<(urlset|sitemapindex|rss|feed|svg|plist)\b", re.I
)
#: Configuration files: ``[section]``, ``key = value`` or ``key: short value`` lines, and comments.
_CONFIG_COMMENT = re.compile(r"\s*[#;]")
_CONFIG_ENTRY = re.compile(
    r"\s*(\[[\w.\- ]+\]|(export\s+)?[\w.\-]+\s*=.*|[\w.\-]+\s*:(\s+\S+){0,6})\s*"
)
_DATE_KEYS = ("publishedDateTime", "datePublished", "published", "date", "pubDate", "created")
_URL_KEYS = ("originalUrl", "url", "link", "canonical", "canonicalUrl", "webUrl")
_AMP_KEYS = ("ampWebUrl", "cdnAmpWebUrl", "ampUrl")
_RELATED_URL_KEYS = ("webUrl", "url", "originalUrl")
#: Tried only where a run starts: tried at every position, the runs of spaces of indented HTML
#: cost 5.9 ms a dev page (with ``cut_blank_runs``'s check first: 1.6 ms).
_BLANK_RUN = re.compile(rf"(?<![ \t])[ \t]{{{MAX_BLANK_RUN + 1},}}")
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


class Unterminated(BadArticle):
    """Front matter with no closing ``---``: in a file cut at the read cap, it is too large."""


def load_file(path: str) -> Article | Problem:
    """Read, decode, detect, parse and clean one file. Never raises."""
    try:
        data = read_capped(path, MAX_BYTES)
    except (OSError, ValueError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else error
        return Problem(path, f"unreadable: {reason}")
    # a file read to the cap was most likely cut there (exactly 4 MB is rare)
    return load_bytes(data, path, cut=len(data) >= MAX_BYTES)


def load_bytes(data: bytes, path: str, *, cut: bool = False) -> Article | Problem:
    """Decode, detect, parse and clean the bytes of a file. Never raises. ``cut``: the bytes
    are the start of a larger file (so are more than MAX_BYTES bytes)."""
    if not data.strip():
        return Problem(path, "empty file")
    if looks_binary(data):
        return Problem(path, "binary file, not an article")
    cut = cut or len(data) > MAX_BYTES
    try:
        return parse_text(decode(data[:MAX_BYTES]), path)
    except NotAnArticle as error:
        return Problem(path, f"not an article: {error}")
    except Unterminated as error:
        if cut:
            mb = MAX_BYTES // (1024 * 1024)
            return Problem(path, f"too large: front matter not closed in the first {mb} MB")
        return Problem(path, str(error))
    except BadArticle as error:
        return Problem(path, str(error))
    except Exception as error:  # noqa: BLE001 - a bad file must never stop a sync
        reason = clean_line(str(error), 200)
        return Problem(path, f"could not parse: {type(error).__name__}: {reason}")


def cut_blank_runs(text: str) -> str:
    """Runs of more than MAX_BLANK_RUN spaces and tabs cut to MAX_BLANK_RUN spaces. Text without
    a tab needs no regex to know it has none (most files: two string searches, a tenth of it)."""
    if "\t" not in text and " " * (MAX_BLANK_RUN + 1) not in text:
        return text
    return _BLANK_RUN.sub(" " * MAX_BLANK_RUN, text)


def detect_kind(text: str) -> str:
    """One of ``frontmatter``, ``html``, ``markdown``, ``text``; raises NotAnArticle otherwise."""
    if _FM_START.match(text):
        return "frontmatter"
    head = text[:4096]
    stripped = head.lstrip()
    if _XML_NOT_ARTICLE.match(head):
        raise NotAnArticle("an XML sitemap, feed or image")
    if _HTML_START.match(head) or _mostly_tags(head):
        return "html"
    if stripped[:1] in "{[" and _is_json(text):
        raise NotAnArticle("JSON data")
    if _is_config(head):
        raise NotAnArticle("configuration or key-value data")
    if _is_yaml_data(head, text):
        raise NotAnArticle("YAML data")
    if _is_code(head):
        raise NotAnArticle("source code")
    if _MD_HEADING.search(head) or _MD_SETEXT.match(head):
        return "markdown"
    return "text"


def parse_text(text: str, path: str) -> Article:
    """Parse decoded text of any kind into an Article.

    Raises NotAnArticle for data that is no article, BadArticle for a broken one.
    """
    text = cut_blank_runs(clean_text(text))
    if is_mail(text[:4096]):
        found = messages(text)
        return _from_mail(found[0], path)  # an mbox's others: load_messages
    kind = detect_kind(text)
    if kind == "frontmatter":
        return _from_front_matter(text, path)
    if kind == "html":
        return _from_html(text, path)
    from newsreader.ingest.clean import clean, text_title  # see "Imported when parsing"

    if kind == "markdown":
        title = _markdown_title(text)
        return _finish(path, kind, title, clean(text, "page", title=title))
    if len(text.split()) < 20:
        raise NotAnArticle("too little text")
    title = text_title(text[:MAX_TITLE_SCAN]) or _first_line_title(text)
    return _finish(path, kind, title, clean(text[:MAX_DUMP], "text", title=title))


def load_messages(path: str) -> list[Article | Problem]:
    """Each message of a mail file as its own article (an mbox holds many; a message file,
    or any other file, gives what load_file gives)."""
    try:
        data = read_capped(path, MAX_BYTES)
        text = decode(data)
    except (OSError, ValueError) as error:
        return [Problem(path, f"unreadable: {error}")]
    if not is_mail(text[:4096]):
        return [load_file(path)]
    found = messages(clean_text(text))
    cut = len(data) >= MAX_BYTES and len(found) > 1
    if cut:
        found.pop()  # it stops at the cap
    out: list[Article | Problem] = []
    for message in found:
        try:
            out.append(_from_mail(message, path))
        except Exception as error:  # noqa: BLE001 - one bad message must not cost the others
            out.append(Problem(path, f"could not parse a message: {type(error).__name__}"))
    if cut:
        mb = MAX_BYTES // (1024 * 1024)
        out.append(Problem(path, f"too large: only the messages in the first {mb} MB read"))
    return out


def load_mailbox(path: str) -> list[Article | Problem]:
    """Each message of an mbox file as its own article, as ``load_messages`` gives them; none
    for a file that does not start as an mbox does (with a ``From `` line: only its first five
    bytes are read then, so a message file costs next to nothing more)."""
    try:
        with open(path, "rb") as handle:
            if handle.read(5) != b"From ":
                return []
    except OSError:
        return []
    return load_messages(path)


def _from_mail(message: Message, path: str) -> Article:
    from newsreader.ingest.clean import clean
    from newsreader.ingest.textdump import drop_boilerplate

    title = clean_line(message.subject, 300)
    body = clean(message.body, "html" if message.is_html else "page", title=title)
    # a newsletter's footer (unsubscribe, preferences, "view in browser") is never the article
    body = drop_boilerplate(body)
    fields: dict[str, Any] = {
        "published": as_datetime(message.date),
        "provider": clean_line(message.sender, 120) or message.domain,
        "domain": message.domain,
    }
    return _finish(path, "mail", title, body, fields=fields)


def _first_line_title(text: str) -> str:
    """A short first line set apart by a blank line: the headline of a plain article that has
    no page furniture for the dump classifier to find it by."""
    first, _, rest = text.lstrip().partition("\n")
    line = first.strip()
    if not rest.lstrip(" \t").startswith("\n") or not 1 <= len(line.split()) <= 20:
        return ""
    return "" if len(line) > 200 or line.endswith((",", ";", ":")) else clean_line(line)


#: A line of code: quotes, brackets, braces, ``=`` or ``;`` in a short line that is no sentence.
_CODE_CHARS = re.compile(r"[\"'(){}\[\];=]")
_COMMENT_LINE = ("#", "//", "/*", "*", "--", "<!--")
_BLOCK_OPENERS = (" do", " then", "{", "(", "[", "=>", "->")
#: A top-level YAML line: ``key:`` or ``- item``.
_YAML_TOP = re.compile(r"(?:- |-$|[\w\"'][\w .\"'-]{0,60}:(?:\s|$))")


def _is_code(head: str) -> bool:
    """Source code or a build file (a Gemfile): at least two statement-like lines and no prose
    outside comments. A Markdown file's paragraphs and link lists are not statements."""
    statements = 0
    for line in head.splitlines():
        line = line.strip()
        if not line or line.startswith(_COMMENT_LINE):
            continue
        words = len(line.split())
        if line.endswith(_BLOCK_OPENERS) or (
            _CODE_CHARS.search(line) and words <= 10 and "](" not in line and line[-1] not in ".!?"
        ):
            statements += 1
        elif words > 3:
            return False  # a line of prose
    return statements >= 2


def _is_yaml_data(head: str, text: str) -> bool:
    """A YAML file of data (``_data/*.yml``, ``_config.yml``): every top-level line a key or a
    list item, two of them at least, and the whole a mapping or a list."""
    top = [ln for ln in head.splitlines() if ln.strip() and ln[0] not in " \t#"]
    if len(top) < 2 or not all(_YAML_TOP.match(ln) for ln in top):
        return False
    try:
        return bool(load_yaml(text[:MAX_FRONT_MATTER], any_shape=True))
    except BadArticle:
        return False


def _mostly_tags(head: str) -> bool:
    """An HTML fragment: tags throughout, not a text dump with a few stray tags in it (parsed
    as HTML, a dump's lines would run together into one paragraph)."""
    if len(_HTML_TAG.findall(head)) < 5:
        return False
    lines = [line for line in head.splitlines() if line.strip()]
    return sum("<" in line for line in lines) >= 0.5 * len(lines)


def _is_config(head: str) -> bool:
    """Every line a comment or a config entry, and at least two entries."""
    entries = 0
    for line in head.splitlines():
        if not line.strip() or _CONFIG_COMMENT.match(line):
            continue
        if not _CONFIG_ENTRY.fullmatch(line):
            return False
        entries += 1
    return entries >= 2


def _is_json(text: str) -> bool:
    try:
        json.loads(text[:MAX_BYTES])
    except (ValueError, RecursionError):
        return False
    return True


def _markdown_title(text: str) -> str:
    """The first ATX heading's text, else a setext heading that opens the text; '' if none."""
    text = text[:MAX_TITLE_SCAN]
    match = _MD_HEADING.search(text) or _MD_SETEXT.match(text)
    if match is None:
        return ""
    if match.re is _MD_SETEXT:
        return clean_line(match.group(1))
    # a closing run of ``#`` after a blank goes (``## Title ##``); ``C#`` keeps its ``#``
    heading = match.group(2).rstrip()
    bare = heading.rstrip("#")
    if bare != heading and bare[-1:] in (" ", "\t") and bare.strip():
        heading = bare.rstrip()
    return clean_line(heading)


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
    # Again after cleaning: HTML entities (``&#27;``, ``&#x202e;``) decode to controls only now.
    body = strip_templates(clean_text(body))
    title = strip_templates(title)
    text = ""
    if body:  # front matter alone has nothing to clean: it never loads the extractor
        from newsreader.ingest.clean import to_text

        text = to_text(body)
    excerpt = fields.pop("excerpt", "") or _first_paragraph(text)
    if not title:
        title = clean_line(excerpt, 120) or clean_line(os.path.splitext(os.path.basename(path))[0])
    url_keys = [key for key in dict.fromkeys(fields.pop("url_keys", [])) if key]
    if url_keys:
        identity = "url:" + url_keys[0]
    else:
        normal = " ".join((title + "\n" + text).lower().split())
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


def _first_paragraph(text: str, limit: int = 300) -> str:
    """The first paragraph that reads like running text, else the first longer than 40 chars.

    Page dumps open with taglines, bylines and datelines ("from the ... dept"); a sentence has
    enough words and sentence punctuation, which those lack.
    """
    # the first 200 paragraphs only: an opening is never further down, and bodies can be huge
    lines = [clean_line(block, limit) for block in text.split("\n\n")[:200]]
    sentence = next((line for line in lines if _is_sentence(line)), "")
    return sentence or next((line for line in lines if len(line) > 40), "")


_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*(?:\s|$)")


def _is_sentence(line: str) -> bool:
    return len(line.split()) >= MIN_SENTENCE_WORDS and _SENTENCE_END.search(line) is not None


# -- front matter ---------------------------------------------------------------------------------


def read_front_matter(text: str) -> tuple[str, dict[str, Any], str]:
    """A front-matter file's (title, coerced fields without the title, content under the
    fence); NotAnArticle for data that is not an article. Shared by the full parse and the
    quick listing (``ingest.quick``)."""
    match = _FM_START.match(text)
    assert match is not None
    try:
        _, raw_fm, content = _FM_BOUNDARY.split(text[match.start() :].lstrip(), 2)
    except ValueError:
        raise Unterminated("unterminated front matter (no closing ---)") from None
    # raw_fm starts with the rest of the fence's line: its line 0 is the fence's, numbered in
    # the file (blank lines may come before it)
    meta = load_yaml(raw_fm, text.count("\n", 0, text.index("---")) + 1)
    content = content.strip()
    fields = _fields(meta)
    coerced = fields.pop("title")
    title = _as_written(meta.get("title"), raw_fm) or coerced
    if not title and not fields["url"]:
        if not content and not fields["excerpt"]:
            # a profile stub (``name:``, ``role:``) or a page's settings, not an article
            raise NotAnArticle("front matter with no title, body or URL")
        if content[:1] in ("{", "[") and content[-1] in "}]":
            raise NotAnArticle("JSON data under front matter (a mirror of an article)")
    return title, fields, content


def _from_front_matter(text: str, path: str) -> Article:
    title, fields, content = read_front_matter(text)
    body = ""
    if content:
        from newsreader.ingest.clean import clean

        is_html = _HTML_START.match(content) or _HTML_TAG.search(content[:4096])
        inner = "html" if is_html else "markdown"
        body = clean(content, inner, title=title, excerpt=fields.get("excerpt", ""))
    if not title and body:
        title = _markdown_title(body)
        # the heading is the title now; clean() drops a leading copy of the title
        body = clean(body, "markdown", title=title)
    return _finish(path, "frontmatter", title, body, fields=fields)


def _as_written(value: Any, raw_fm: str) -> str:
    """A title YAML read as a date, a number or a boolean (``title: 2024-01-05``), as written;
    '' for a string, a mapping or a list (those are coerced, or no title)."""
    if value is None or isinstance(value, str | dict | list):
        return ""
    match = _TITLE_LINE.search(raw_fm)
    if match is None:
        return ""
    written = match.group(1).split(" #", 1)[0]  # a YAML comment ends a plain scalar
    return clean_line(written.strip().strip("\"'"))


_TITLE_LINE = re.compile(r"^title:(.*)$", re.M)


def _fields(meta: dict[str, Any]) -> dict[str, Any]:
    """Coerce the known front-matter fields; keep the rest as extras."""
    # Keys may be numbers, dates, booleans or null (``2021-01-01: x``): name them as written.
    meta = {as_str(k if isinstance(k, str) else str(k), 100): v for k, v in meta.items()}
    provider_name, provider_domain = _provider(meta.get("provider", meta.get("source")))
    urls = [safe_url(meta.get(key)) for key in _URL_KEYS]
    url = next((u for u in urls if u), "")
    web_url = safe_url(meta.get("webUrl")) or url
    if not provider_domain:
        provider_domain = domain_of(url or web_url)
    keys = [canonical_url(u) for u in [url, web_url, *(meta.get(k) for k in _AMP_KEYS)]]
    dates = {key: as_datetime(meta.get(key)) for key in _DATE_KEYS}
    published = next((d for d in dates.values() if d is not None), None)
    # A date key that holds no date (``published: true`` in the seeds) is kept as an extra.
    known = _KNOWN - {key for key, d in dates.items() if d is None}
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
        "extras": jsonable({key: value for key, value in meta.items() if key not in known}),
        "url_keys": keys,
    }


def _provider(value: Any) -> tuple[str, str]:
    """(name, domain) from a provider given as a name or as ``{name, domain}``."""
    if isinstance(value, dict):
        return as_str(value.get("name"), 120), as_str(value.get("domain"), 120)
    return as_str(value, 120), ""


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
        url = next(filter(None, (safe_url(item.get(key)) for key in _RELATED_URL_KEYS)), None)
        if not url:
            continue
        name, domain = _provider(item.get("provider"))
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

_META = re.compile(r"<meta\s[^<>]*>", re.I)
#: Names only where a name starts: tried inside a long name, each start scanned all of it.
_ATTR = re.compile(r"""(?<![\w:-])([\w:-]+)\s*=\s*("([^"]*)"|'([^']*)'|([^\s>]+))""")
_CANONICAL = re.compile(r"""<link\s[^<>]*\brel=["']?canonical\b[^<>]*>""", re.I)


def _html_meta(html: str) -> dict[str, str]:
    """``<meta>`` name/property -> content, and the canonical link, from the page head."""
    head = html[:200_000]
    found: dict[str, str] = {}
    for tag in _META.findall(head):
        attrs = _attrs(tag)
        key = (attrs.get("property") or attrs.get("name") or attrs.get("itemprop") or "").lower()
        if key and "content" in attrs and key not in found:
            found[key] = attrs["content"]
    link = _CANONICAL.search(head)
    if link:
        found.setdefault("canonical", _attrs(link.group(0)).get("href", ""))
    return found


def _attrs(tag: str) -> dict[str, str]:
    return {m[1].lower(): m[3] or m[4] or m[5] or "" for m in _ATTR.finditer(tag)}


def _from_html(html: str, path: str) -> Article:
    import html as htmllib

    from newsreader.ingest.clean import clean_page

    meta = {key: htmllib.unescape(value) for key, value in _html_meta(html).items()}
    excerpt = as_text(meta.get("og:description") or meta.get("description"), 2000)
    url = safe_url(meta.get("canonical")) or safe_url(meta.get("og:url")) or ""
    published: datetime | None = None
    for key in ("article:published_time", "datepublished", "date", "pubdate", "dc.date"):
        published = as_datetime(meta.get(key))
        if published:
            break
    title, body, date = clean_page(html, excerpt=excerpt, dated=published is None)
    published = published or as_datetime(date)
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
    return _finish(path, "html", title, body, fields=fields)
