"""Getting articles out: Markdown, JSON Lines, OPML and an HTML link list, and writing them
to a file without ever overwriting one by surprise. No Textual here."""

from __future__ import annotations

import html
import json
import os
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import quoteattr

from newsreader.model import Article

FORMATS = ("markdown", "jsonl", "opml", "html")


def article_markdown(article: Article) -> str:
    """One article as a Markdown document: title, metadata, body (or excerpt), related links."""
    lines = [f"# {article.title}", ""]
    meta = [article.provider]
    if article.published:
        meta.append(article.published.strftime("%Y-%m-%d %H:%M UTC"))
    if article.topics:
        meta.append("topics: " + ", ".join(article.topics))
    lines += [" · ".join(m for m in meta if m), ""]
    url = article.url or article.web_url
    if url:
        lines += [f"<{url}>", ""]
    lines += [article.body.strip() or article.excerpt.strip() or "(no text in this file)", ""]
    if article.related:
        lines += ["## Related", ""]
        for link in article.related:
            source = f" ({link.provider})" if link.provider else ""
            lines.append(f"- [{link.title.replace(']', '')}]({link.url}){source}")
        lines.append("")
    return "\n".join(lines)


def render(articles: Iterable[Article], fmt: str, title: str = "newsreader export") -> str:
    """Articles in one of :data:`FORMATS`."""
    items = list(articles)
    if fmt == "markdown":
        return "\n---\n\n".join(article_markdown(a) for a in items)
    if fmt == "jsonl":
        return "".join(
            json.dumps(a.to_json(with_body=True), ensure_ascii=False) + "\n" for a in items
        )
    if fmt == "opml":
        now = datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")
        outlines = "\n".join(
            f'    <outline type="link" text={quoteattr(a.title)} url={quoteattr(a.url or a.web_url)}/>'
            for a in items
            if a.url or a.web_url
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0">\n'
            f"  <head><title>{html.escape(title)}</title><dateCreated>{now}</dateCreated></head>\n"
            f"  <body>\n{outlines}\n  </body>\n</opml>\n"
        )
    if fmt == "html":
        rows = "\n".join(
            f'  <li><a href="{html.escape(a.url or a.web_url, quote=True)}">{html.escape(a.title)}</a>'
            f" <small>{html.escape(a.provider)}</small></li>"
            for a in items
            if a.url or a.web_url
        )
        return (
            f'<!doctype html>\n<meta charset="utf-8">\n<title>{html.escape(title)}</title>\n'
            f"<h1>{html.escape(title)}</h1>\n<ul>\n{rows}\n</ul>\n"
        )
    raise ValueError(f"unknown format {fmt!r} (use one of {', '.join(FORMATS)})")


def write_new(path: Path, text: str, *, force: bool = False) -> None:
    """Write ``text`` to ``path``, a new file: FileExistsError if there is one already, unless
    ``force``. The check and the creation are one step (``O_EXCL``), so a file that appears in
    between is not overwritten either. (A default file name comes from an article's title, so
    whoever wrote the article would otherwise choose which of the user's files is replaced.)"""
    if force:
        path.write_text(text, encoding="utf-8")
        return
    with open(path, "x", encoding="utf-8") as handle:
        handle.write(text)


def free_name(path: Path) -> Path:
    """``path`` if nothing is there, else the first free ``stem-2.ext``, ``stem-3.ext``…: a
    default to offer that writes no existing file."""
    if not os.path.lexists(path):
        return path
    n = 2
    while os.path.lexists(candidate := path.with_name(f"{path.stem}-{n}{path.suffix}")):
        n += 1
    return candidate
