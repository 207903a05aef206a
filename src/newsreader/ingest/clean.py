"""Turn a raw article body (HTML, Markdown or a plain-text page dump) into clean Markdown.

HTML goes through trafilatura, which finds the main content and keeps its structure, and is then
rendered to Markdown by html2text; when trafilatura finds too little the whole page is rendered
and handed to the plain-text classifier instead. Plain-text page dumps (what "save as text"
gives: menus, sidebars and comments around the article) go through ``textdump.extract``.
Every path is bounded in input size, nesting depth and output size, so a hostile page cannot
stall ingest.
"""

from __future__ import annotations

import functools
import re

import html2text
import lxml.html
import trafilatura
from lxml import etree
from trafilatura import core as trafilatura_core
from trafilatura import main_extractor as trafilatura_main

from newsreader.ingest import extractors, textdump

#: Larger inputs are cut here: no article needs more, and parsing time grows with size.
MAX_INPUT = 2_000_000
#: Larger outputs are cut here (a few hundred pages of text).
MAX_OUTPUT = 400_000
#: Elements nested deeper than this are flattened to their text: real pages stay far below,
#: while thousands of nested lists make html2text's indentation grow quadratically.
MAX_DEPTH = 60
#: trafilatura output shorter than this share of the page's text, or than MIN_CHARS, means it
#: missed the article (pages carry up to ~30 times more menu and sidebar text than article).
MIN_SHARE = 0.025
MIN_CHARS = 200

# trafilatura drops a long paragraph that repeats the one before it, and has no option to stop
# that. Articles do repeat on purpose (refrains, test pages built of one paragraph) and losing a
# real paragraph is worse than keeping a stray one, so lift the length gate it uses. Exact
# repeats found by its recovery pass are still dropped. Measured: +0.03 recall, no page worse.
if hasattr(trafilatura_main, "MIN_DUPLICATE_LENGTH"):
    trafilatura_main.MIN_DUPLICATE_LENGTH = 10**9

# For any output format but plain text, trafilatura also computes a simhash fingerprint of the
# text, which we never read: measured, 40% of its time on an article-sized HTML body.
if hasattr(trafilatura_core, "content_fingerprint"):
    trafilatura_core.content_fingerprint = lambda _text: ""

#: Blank lines, not the indentation of the line after them (a list item's, a code block's).
_BLANKS = re.compile(r"\n[ \t]*(?:\n[ \t]*)*\n")
_SETEXT_UNDERLINE = re.compile(r" {0,3}(?:=+|-+)[ \t]*")
#: A stray tag, not an autolink ``<https://…>`` or ``<me@example.com>``: a name, then a blank.
_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9-]*(?:[\s/][^<>]{0,500})?>")
#: Block elements: a custom element holding one of them is a block itself.
_BLOCKS = frozenset(
    "address article aside blockquote div dl figure footer form h1 h2 h3 h4 h5 h6 header hr "
    "li main nav ol p pre section table ul".split()
)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_TITLE_SEPARATORS = re.compile(r"(?<!\s)\s+(?:[|\-\u2013\u2014:\u00b7\u00bb/]|::)\s+")


def clean(raw: str, kind: str, *, title: str = "", excerpt: str = "") -> str:
    """Clean a raw article body into Markdown; ``kind`` is "html", "markdown" (a body under
    front matter, kept whole), "page" (a Markdown file on its own) or "text" (a page dump).

    ``title`` and ``excerpt`` (from front matter, or inferred) help find where the article
    starts; the title is never repeated as the body's first line.
    """
    raw = raw[:MAX_INPUT]
    if kind == "html":
        body = _clean_html(raw, title=title, excerpt=excerpt)
    elif kind == "text":
        body = textdump.extract(raw, title=title, excerpt=excerpt)
    elif kind == "page":
        # A Markdown file on its own is often a whole saved page (html2text, a clipper): the
        # dump classifier finds the article in it, and keeps all of a file that has no page
        # furniture. Its first heading is as likely the site's name as the headline, so it is
        # no start mark.
        body = textdump.extract(raw, whole_if_clean=True)
    else:
        body = raw
    return _tidy(body, title, html=kind == "html")[:MAX_OUTPUT]


def clean_page(html: str, *, excerpt: str = "", dated: bool = False) -> tuple[str, str, str]:
    """An HTML page's title (as html_title finds it), its body (as clean finds it) and, if
    ``dated``, its date (htmldate's, see ``_tree_date``; else ''), from one parse of the page."""
    html = html[:MAX_INPUT]
    tree = _parse(html)
    if tree is None:
        return "", "", ""
    title = _tree_title(tree)
    date = _tree_date(tree) if dated else ""  # first: the cleaning prunes the tree
    body = _clean_html(html, title=title, excerpt=excerpt, tree=tree)
    return title, _tidy(body, title, html=True)[:MAX_OUTPUT], date


def _clean_html(
    html: str, *, title: str, excerpt: str, tree: lxml.html.HtmlElement | None = None
) -> str:
    """``tree`` is ``html`` parsed already, if it was; this changes it."""
    tree = _parse(html) if tree is None else tree
    if tree is None:
        return ""
    _prune(tree)
    if _is_newsletter(html, tree):
        # e-mail layouts are all tables and inline styles, on which trafilatura drops the
        # linked headlines; the whole message is the article, minus its footer lines
        whole = _html2md(lxml.html.tostring(tree, encoding="unicode"), layout_tables=True)
        return textdump.drop_boilerplate(whole)
    _mark_preformatted(tree)
    # fast: trafilatura's own second opinion (its copies of readability and jusText) is skipped;
    # extractors.choose gives a better one. Measured on the dev pages: F1 even 0.960 -> 0.963,
    # odd 0.971 -> 0.972, and 7 ms less a page.
    document = trafilatura.bare_extraction(
        tree,
        output_format="html",
        include_links=True,
        include_formatting=True,
        include_tables=True,
        include_comments=False,
        favor_recall=True,
        fast=True,
        as_dict=False,
    )
    body_xml = getattr(document, "body", None)
    body = _html2md(_as_html(body_xml)) if body_xml is not None else ""
    judge = extractors.referee(html)
    page_text = len(tree.text_content())
    if len(body.strip()) < max(MIN_CHARS, MIN_SHARE * page_text):
        # trafilatura may have missed: render everything and let the text classifier pick the
        # article, but keep trafilatura's body if it agrees better with the referee. A short
        # article among long menus is no miss, and the fallback can keep the whole page.
        # Measured: the same dev F1 (even and odd), 5 fewer pages taken by the fallback.
        whole = _html2md(lxml.html.tostring(tree, encoding="unicode"))
        fallback = textdump.extract(whole, title=title, excerpt=excerpt, markdown=True)
        body = extractors.closer(body, fallback, judge, to_text) if judge else fallback
    # a second opinion where trafilatura's body looks wrong (see extractors)
    return extractors.choose(body, html, tree, to_text=to_text, render=_html2md, judge=judge)


def _mark_preformatted(tree: lxml.html.HtmlElement) -> None:
    """Wrap each ``<pre>``'s content in one ``<span>``: trafilatura then keeps it as code, with
    its line breaks, where otherwise it turns plain ``<pre>`` text into a quote."""
    for pre in tree.iter("pre"):
        if len(pre) == 1 and pre[0].tag == "span" and not (pre.text or "").strip():
            continue
        span = lxml.html.Element("span")
        span.text, pre.text = pre.text, None
        span.extend(list(pre))
        pre.append(span)


#: trafilatura's inner format -> HTML. Its own HTML output makes every list a ``<ul>``, every
#: code element a ``<pre>`` (inline ``<code>`` became a paragraph of its own) and every quote a
#: ``<blockquote>``, and it is pretty-printed, whose indentation html2text renders inside lists.
_INLINE = {"#b": "b", "#i": "i", "#u": "u", "#t": "code", "#sub": "sub", "#sup": "sup"}
_SIMPLE = {"item": "li", "quote": "blockquote", "lb": "br", "row": "tr", "del": "del"}


def _as_html(body: etree._Element) -> str:
    """trafilatura's extracted body (its XML: list, item, head, hi, ref, code…) as HTML."""
    for el in body.iter():
        tag, rend = el.tag, el.get("rend", "")
        href = el.get("target", "") if tag == "ref" else ""
        if tag == "list":
            el.tag = "ol" if rend == "ol" else "ul"
        elif tag == "head":
            el.tag = f"h{rend[1:]}" if rend in ("h1", "h2", "h3", "h4", "h5", "h6") else "h3"
        elif tag == "code":
            # a block of code holds line breaks or stands alone; inline code sits in text
            parent = el.getparent()
            alone = parent is None or parent is body or parent.tag in ("item", "li", "quote")
            el.tag = "pre" if alone or "\n" in (el.text or "") else "code"
        elif tag == "hi":
            el.tag = _INLINE.get(rend, "i")
        elif tag == "ref":
            el.tag = "a"
        elif tag == "cell":
            el.tag = "th" if el.get("role") == "head" else "td"
        elif tag == "graphic":
            el.tag = "img"
        elif isinstance(tag, str):
            el.tag = _SIMPLE.get(tag, tag)
        el.attrib.clear()
        if href:
            el.set("href", href)
    body.tag = "body"
    return str(etree.tostring(body, encoding="unicode"))


def _parse(html: str) -> lxml.html.HtmlElement | None:
    """Parse leniently; None when there is nothing to parse."""
    if not html.strip():
        return None
    if html.lstrip().startswith("<?xml"):
        # lxml refuses a str that declares an encoding; the text is decoded already
        html = _XML_DECLARATION.sub("", html, count=1)
    parser = lxml.html.HTMLParser()
    try:
        tree = lxml.html.document_fromstring(html, parser=parser)
        if any(error.type_name == "ERR_RESOURCE_LIMIT" for error in parser.error_log):
            # libxml2 stops at 256 levels and drops everything below: 100,000 nested divs
            # came out as an empty body. The tags past MAX_DEPTH go first, their text stays.
            tree = lxml.html.document_fromstring(_shallow(html))
    except (etree.ParserError, ValueError):
        return None
    _flatten_deep(tree)
    return tree


_XML_DECLARATION = re.compile(r"\A\s*<\?xml[^<>]*>")
_ANY_TAG = re.compile(r"<(/?)([a-zA-Z][\w:-]{0,40})(?:\s[^<>]*)?>")
_VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())


def _shallow(html: str) -> str:
    """``html`` without the tags that open (or close) deeper than MAX_DEPTH, counted on the text.

    Only for pages the parser gave up on: unclosed ``<p>`` and ``<li>`` make the count drift
    deeper than the real tree, which costs some structure of a page that had lost all of it.
    """
    out: list[str] = []
    depth = last = 0
    for match in _ANY_TAG.finditer(html):
        closing, name = match.group(1), match.group(2).lower()
        if name in _VOID or match.group(0).endswith("/>"):
            continue
        if closing:
            depth = max(0, depth - 1)
        if depth >= MAX_DEPTH:
            out.append(html[last : match.start()])
            out.append(" ")
            last = match.end()
        if not closing:
            depth += 1
    out.append(html[last:])
    return "".join(out)


#: The elements MAX_DEPTH levels below the root, found in C: a walk in Python over every element
#: cost more than the parse.
_AT_MAX_DEPTH = etree.XPath("/".join(["*"] * MAX_DEPTH))


def _flatten_deep(tree: lxml.html.HtmlElement) -> None:
    """Replace subtrees nested deeper than MAX_DEPTH by their bare text."""
    for el in _AT_MAX_DEPTH(tree):
        etree.strip_tags(el, "*")


#: What a reader never sees: scripts, styles, form controls, hidden elements. Not <form>:
#: ASP.NET pages wrap the whole page, article and all, in one. lxml's tag filter and XPath,
#: not a loop over every element in Python: half the time.
_UNSEEN_TAGS = ("script", "style", "noscript", "template", "button", "select")
_UNSEEN = etree.XPath("//*[@hidden or @aria-hidden='true']")
_STYLED = etree.XPath("//*[@style]")
_MATH = etree.XPath("//math")
_CUSTOM = etree.XPath("//*[contains(local-name(), '-')]")


def _prune(tree: lxml.html.HtmlElement) -> None:
    """Drop what a reader never sees: hidden elements, scripts, styles, form controls."""
    doomed = list(tree.iter(*_UNSEEN_TAGS)) + _UNSEEN(tree)
    doomed += [el for el in _STYLED(tree) if _HIDDEN_STYLE.search(el.get("style", ""))]
    for el in doomed:
        if el.getparent() is not None:
            el.drop_tree()
    for el in _MATH(tree):
        _math_as_text(el)
    for el in _CUSTOM(tree):
        # a custom element (web component): trafilatura skips the text of tags it does not
        # know, where a browser shows it inline, or as a block when it holds blocks
        el.tag = "div" if any(child.tag in _BLOCKS for child in el.iter()) else "span"


def _math_as_text(math: lxml.html.HtmlElement) -> None:
    """A MathML formula as a span of its symbols: trafilatura drops ``<math>`` and the text
    around it went too. Its TeX annotation is source, not what the page shows."""
    if math.getparent() is None:
        return  # inside a formula already replaced
    for note in list(math.iter("annotation", "annotation-xml")):
        note.drop_tree()
    span = lxml.html.Element("span")
    span.text = " ".join(part.strip() for part in math.itertext() if part.strip())
    span.tail = math.tail
    math.getparent().replace(math, span)


def _is_newsletter(html: str, tree: lxml.html.HtmlElement) -> bool:
    """E-mail HTML: Outlook conditional comments, or the presentation tables of mail builders."""
    head = html[:200_000]
    if "[if mso" in head or "urn:schemas-microsoft-com:office" in head:
        return True
    if "x-apple-disable-message-reformatting" in head:
        return True
    return len(tree.xpath("//table[@role='presentation']")) >= 3 and not tree.xpath("//article")


def _html2md(html: str, *, layout_tables: bool = False) -> str:
    """Render HTML to Markdown; ``layout_tables`` renders table cells as plain blocks."""
    conv = html2text.HTML2Text()
    conv.ignore_tables = layout_tables
    conv.body_width = 0
    conv.ignore_images = True
    conv.ignore_emphasis = False
    conv.protect_links = False
    conv.unicode_snob = True
    return conv.handle(html)


def _tidy(md: str, title: str, *, html: bool = False) -> str:
    """Strip stray tags, a leading copy of the title, trailing spaces and runs of blank lines.

    In Markdown rendered from ``html`` a tag is text the page escaped (``&lt;img&gt;``, a
    tutorial's markup): it stays, escaped outside code so that a Markdown view shows it."""
    md = _escape_tags(md) if html else _TAG.sub("", md)
    lines = [line.rstrip() for line in md.strip().splitlines()]
    while lines and not lines[0].strip():
        lines.pop(0)
    if lines and title and _norm(lines[0].lstrip("#").strip("*_ ")) == _norm(title):
        lines.pop(0)
        if lines and _SETEXT_UNDERLINE.fullmatch(lines[0]):
            lines.pop(0)  # the title was a setext heading: its underline goes with it
    return _BLANKS.sub("\n\n", "\n".join(lines)).strip()


_CODE_SPAN = re.compile(r"(`+[^`\n]*`+)")


def _escape_tags(md: str) -> str:
    """``\\<`` before each tag-like text outside code blocks and code spans."""
    if "<" not in md:
        return md
    lines, fenced = md.split("\n"), False
    for i, line in enumerate(lines):
        if line.lstrip().startswith("```"):
            fenced = not fenced
        if fenced or line.startswith(("    ", "\t")) or "<" not in line:
            continue
        parts = _CODE_SPAN.split(line)  # odd parts are code spans
        parts[::2] = [_TAG.sub(lambda m: "\\" + m.group(0), part) for part in parts[::2]]
        lines[i] = "".join(parts)
    return "\n".join(lines)


def _norm(s: str) -> str:
    return re.sub(r"\W+", " ", s).strip().lower()


#: Inline links and images: ``[text](dest "title")``, the destination bare or in ``<...>``.
_MD_LINK = re.compile(
    r"!?\[((?:[^\[\]]|\[[^\[\]]*\])*)\]"
    r"\([ \t]*(?:<[^<>\n]*>|(?:[^()\s]|\([^()]*\))*)"
    r"(?:[ \t]+(?:\"[^\"]*\"|'[^']*'|\([^()]*\)))?[ \t]*\)"
)
#: Full and collapsed reference links: ``[text][label]``, ``[text][]``.
_MD_REF_LINK = re.compile(r"!?\[((?:[^\[\]]|\[[^\[\]]*\])*)\]\[([^\[\]\n]*)\]")
#: Footnote references (``text[^1]``) and the ``[^1]:`` that starts a footnote's text.
_MD_FOOTNOTE = re.compile(r"\[\^[^\[\]\s]+\](?::[ \t]*)?")
#: Link reference definitions, dropped whole: ``[label]: https://x.y "title"``.
_MD_REF_DEF = re.compile(r"^ {0,3}\[([^\[\]\n]+)\]:[ \t]*\S+(?:[ \t]+\S.*)?$", re.M)
_MD_SHORTCUT = re.compile(r"!?\[([^\[\]\n]+)\](?![(\[:])")
#: An autolink shows its URL, so the URL is kept; other bare URLs are dropped as link targets.
_AUTOLINK_OR_URL = re.compile(
    r"<((?:https?|ftp|mailto):[^<>\s]*|[\w.+-]{1,64}@[\w-]+(?:\.[\w-]+)+)>|\b(?:https?|ftp)://\S+|\bwww\.\S+\.\S+"
)
_MD_PREFIX = re.compile(r"^[ \t]*(?:(?:#{1,6}|>|[-*+]|\d{1,9}[.)])[ \t]+)+", re.M)
_MD_RULE = re.compile(r"^[ \t]*(?:[-*_=][ \t]*){3,}$|^[ \t]*\|?[ \t:|-]*-{3,}[ \t:|-]*$", re.M)
#: Emphasis only between word-boundary delimiters, so ``my_config_value`` and ``2*3*4`` keep
#: their underscores and stars; an opener never starts inside a run (``***x***,`` closes, it
#: does not open at its last star). Code spans may sit inside words. A span stops at the next
#: delimiter character that is not inside a word: each unclosed delimiter scans ahead, and a
#: scan to a fixed bound was still quadratic (10 s on 400 kB of `` *a``); emphasis inside
#: emphasis goes in a second pass.
_MD_EMPHASIS = re.compile(
    r"(?<![\w\\*~])(\*{1,3}|_{1,3}|~~)(?=\S)"
    r"((?:[^*_~]|(?<=\w)[*_](?=\w)|~(?!~)){1,1000}?)(?<=\S)\1(?!\w)"
)
_MD_CODE = re.compile(r"(`+)(?=[^\s`])([^`]{0,999}[^\s`])\1(?!`)")
_TABLE_BORDER = re.compile(r"[ \t]*\|[ \t]*")
#: Not a single space: replacing each one by itself was an eighth of ``to_text``'s time.
_SPACE_RUN = re.compile(r"[ \t]{2,}|\t")
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~<])")


@functools.lru_cache(maxsize=4)
def to_text(markdown: str) -> str:
    """Markdown body -> plain text: no Markdown syntax, no link targets or URLs, paragraphs
    separated by blank lines. Links become their text, autolinks their URL, reference
    definitions are dropped and footnote markers removed (a footnote's text stays)."""
    # Each pass runs only where its syntax can be: a substring test is a fraction of a scan.
    # Footnotes first: ``[^1]: note`` is not a link definition.
    text = _MD_FOOTNOTE.sub("", markdown) if "[^" in markdown else markdown
    if "[" in text:
        labels = {_norm_label(m) for m in _MD_REF_DEF.findall(text)}
        text = _MD_REF_DEF.sub("", text)
        for _ in range(2):  # twice: a link inside an image link
            if "](" not in text and "][" not in text:
                break  # no link of either kind can match
            text = _MD_LINK.sub(r"\1", text)
            text = _MD_REF_LINK.sub(r"\1", text)
        if labels:
            # ``[docs]`` is a link only when a definition names it; otherwise brackets are text
            text = _MD_SHORTCUT.sub(
                lambda m: m.group(1) if _norm_label(m.group(1)) in labels else m.group(0), text
            )
    if "<" in text or "://" in text or "www." in text:
        text = _AUTOLINK_OR_URL.sub(lambda m: m.group(1) or "", text)
    # Collapse blank runs and test rules line by line: both rule patterns backtrack
    # quadratically on one very long line of spaces or dashes.
    text = _spaces(text)
    text = "\n".join(
        "" if len(line) <= 400 and _MD_RULE.fullmatch(line) else line for line in text.split("\n")
    )
    text = _MD_PREFIX.sub("", text)
    if "`" in text:
        text = text.replace("```", "")
        text = _MD_CODE.sub(r"\2", text)
    if "*" in text or "_" in text or "~~" in text:
        text, found = _MD_EMPHASIS.subn(r"\2", text)
        if found:  # again, for ``***both***`` and emphasis inside emphasis
            text = _MD_EMPHASIS.sub(r"\2", text)
    if "\\" in text:
        text = _MD_ESCAPE.sub(r"\1", text)
    if "|" in text:
        text = _TABLE_BORDER.sub(" ", text)  # table cell borders
    lines = [line.strip() for line in _spaces(text).splitlines()]
    return _BLANKS.sub("\n\n", "\n".join(lines)).strip()


def _spaces(text: str) -> str:
    """Runs of spaces and tabs as one space."""
    return _SPACE_RUN.sub(" ", text) if "  " in text or "\t" in text else text


def _norm_label(label: str) -> str:
    """Reference labels match case-insensitively, whatever their inner spacing."""
    return " ".join(label.split()).casefold()


def html_title(html: str) -> str:
    """Title of an HTML page: og:title, else <title> (minus a " | Site" suffix where the rest is
    still a real headline), else the first <h1>; '' if none."""
    tree = _parse(html[:MAX_INPUT])
    return "" if tree is None else _tree_title(tree)


def _tree_title(tree: lxml.html.HtmlElement) -> str:
    for meta in tree.iter("meta"):
        if (meta.get("property") or meta.get("name") or "").lower() == "og:title":
            text = _squash(meta.get("content") or "")
            if text:
                return text
    for el in tree.iter("title"):
        text = _squash(el.text_content())
        if text:
            return _drop_site_suffix(text)
    for el in tree.iter("h1"):
        text = _squash(el.text_content())
        if text:
            return text
    return ""


def _drop_site_suffix(title: str) -> str:
    """ "Headline | Site" -> "Headline", if the headline keeps at least three words."""
    parts = _TITLE_SEPARATORS.split(title)
    if len(parts) > 1:
        head = " - ".join(parts[:-1]) if len(parts) > 2 else parts[0]
        if len(head.split()) >= 3:
            return head
    return title


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _tree_date(tree: lxml.html.HtmlElement) -> str:
    from htmldate import find_date  # a trafilatura dependency, only for pages without a date

    try:
        return find_date(tree, extensive_search=False, original_date=True) or ""
    except Exception:  # noqa: BLE001 - a date is a nicety; a bad page must still be read
        return ""


def text_title(text: str) -> str:
    """The real headline of a plain-text page dump (not just its first line)."""
    return textdump.find_title(text[:MAX_INPUT])
