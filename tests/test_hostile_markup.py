"""Markup and terminal sequences: after loading, no ESC, C1 or bidi control is left in any of the
Article's strings. Rich/Textual markup is kept literally: the UI shows it as text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hostile_support import UNSAFE, load, strings, write
from newsreader.model import Article

ESC = "\x1b"
SEQUENCES = {
    "sgr": f"{ESC}[31;1m",
    "erase": f"{ESC}[2J{ESC}[H",
    "osc52": f"{ESC}]52;c;cm0gLXJmIH4=\x07",
    "osc52-st": f"{ESC}]52;c;cm0gLXJmIH4={ESC}\\",
    "osc8": f"{ESC}]8;;https://evil.example/{ESC}\\click{ESC}]8;;{ESC}\\",
    "title": f"{ESC}]0;pwned\x07{ESC}]2;pwned{ESC}\\",
    "dcs": f"{ESC}P1$r0m{ESC}\\",
    "c1-csi": "\x9b31m",
    "c1-osc": "\x9d0;pwned\x9c",
    "bidi": "\u202eevil\u202c\u2066x\u2069\u202a\u202b\u202d",
    "c0": "\x07\x08\x0b\x0c\x7f",
    "unterminated": f"{ESC}]52;c;AAAA",
}
MARKUP = "[bold]x[/] [@click=app.quit]quit[/] [link=https://evil.example]l[/link] [/]"


def yaml_escape(text: str) -> str:
    """A double-quoted YAML scalar holding ``text`` (YAML escapes control characters)."""
    return json.dumps(text)


def assert_no_controls(a: Article) -> None:
    for text in strings(a):
        assert not UNSAFE.search(text), repr(text)
        assert ESC not in text


@pytest.mark.parametrize("name", sorted(SEQUENCES))
def test_sequences_in_front_matter_fields(name: str, tmp_path: Path) -> None:
    seq = SEQUENCES[name]
    value = yaml_escape(f"Head{seq}line")
    fm = (
        f"title: {value}\nexcerpt: {value}\nprovider: {{name: {value}, domain: {value}}}\n"
        f"topics: [{value}, {value}]\ntype: {value}\nextra: {value}\n"
        f"nested: {{list: [{value}], {value}: {value}}}\n"
        f"related:\n  - title: {value}\n    excerpt: {value}\n"
        f"    webUrl: https://a.example/x\n    provider: {value}\n"
    )
    result = load(write(tmp_path, "a.md", f"---\n{fm}---\nBody {seq} text, long enough.\n"))
    assert isinstance(result, Article), result
    assert_no_controls(result)
    # An unterminated string sequence swallows the rest of its line, as a terminal would.
    assert result.title.startswith("Head")
    assert result.title == "Head" if name == "unterminated" else result.title.endswith("line")


@pytest.mark.parametrize("name", sorted(SEQUENCES))
def test_raw_sequences_in_every_kind_of_body(name: str, tmp_path: Path) -> None:
    seq = SEQUENCES[name]
    para = f"A paragraph{seq} with a sequence in it, and enough words to count as text here. " + (
        "More words follow so that a handful of control bytes is not taken for binary data. " * 3
    )
    files = {
        "fm.md": f"---\ntitle: T\n---\n{para}\n",
        "md.md": f"# Heading{seq}\n\n{para}\n",
        "page.html": f"<html><head><title>T{seq}</title></head><body><h1>T{seq}</h1>"
        f"<p>{para}</p><p>{para}</p></body></html>",
        "dump.txt": f"Headline{seq} here\n\n{para}\n\n{para}\n\n{para}\n",
    }
    for file, text in files.items():
        result = load(write(tmp_path, file, text))
        if name == "unterminated" and file == "dump.txt":
            continue  # each line is swallowed whole: nothing is left to be an article
        assert isinstance(result, Article), (file, result)
        assert_no_controls(result)


def test_sequences_in_raw_bytes_and_utf16(tmp_path: Path) -> None:
    payload = "".join(SEQUENCES.values())
    text = f"---\ntitle: T{payload}\n---\nBody{payload}\n"
    for i, data in enumerate(
        [text.encode(), text.encode("utf-16"), text.encode("cp1252", "ignore")]
    ):
        result = load(write(tmp_path, f"{i}.md", data))
        # every encoding of it is still the front-matter article, its sequences gone
        assert isinstance(result, Article), result
        assert result.kind == "frontmatter" and result.title.startswith("T"), result.title
        assert result.body.startswith("Body"), result.body
        assert_no_controls(result)


def test_markup_is_kept_literally(tmp_path: Path) -> None:
    fm = f"title: {yaml_escape(MARKUP)}\nprovider: '[red]P[/]'\ntopics: ['[b]AI[/b]']"
    result = load(write(tmp_path, "m.md", f"---\n{fm}\n---\nBody {MARKUP} and more text.\n"))
    assert isinstance(result, Article)
    assert result.title == MARKUP
    assert result.provider == "[red]P[/]" and result.topics == ["[b]AI[/b]"]
    assert "[@click=app.quit]" in result.body and "[/]" in result.body


def test_markup_in_markdown_title_and_html(tmp_path: Path) -> None:
    md = load(write(tmp_path, "m.md", f"# {MARKUP}\n\nSome body text that is long enough.\n"))
    assert isinstance(md, Article) and md.title == MARKUP
    html = (
        "<html><head><title>[bold]Page[/] [@click=app.quit]x</title></head><body>"
        "<p>Some body text with [reverse]markup[/reverse] that is long enough to keep.</p></body>"
    )
    page = load(write(tmp_path, "p.html", html))
    assert isinstance(page, Article) and page.title == "[bold]Page[/] [@click=app.quit]x"


def test_html_entities_cannot_smuggle_escapes(tmp_path: Path) -> None:
    html = (
        "<html><head><title>T&#27;[31m&#x9b;2J&#8238;x</title>"
        '<meta name="description" content="D&#27;]52;c;AAAA&#7;">'
        '<meta property="og:site_name" content="S&#x1b;[5m"></head><body>'
        "<p>Body &#27;[2J text &#x202e; with entities that is long enough to be kept.</p></body>"
    )
    result = load(write(tmp_path, "e.html", html))
    assert isinstance(result, Article)
    assert_no_controls(result)


def test_yaml_escapes_cannot_smuggle_escapes(tmp_path: Path) -> None:
    fm = 'title: "T\\e[31m\\x9b\\u202e\\U0000001b]0;x\\a"\nx: "\\N\\_\\L\\P\\0"'
    result = load(write(tmp_path, "y.md", f"---\n{fm}\n---\n"))
    assert isinstance(result, Article)
    assert_no_controls(result)


REFERENCES = "&#x202e;gpj.exe&#x202c; &#x2066;x&#x2069; &#8238;y &#x200b;z &#27;[31m &#x9b;2J"


def rendered(markdown: str) -> str:
    """What the TUI's Markdown widget would show: markdown-it's inline text, references decoded."""
    from markdown_it import MarkdownIt

    tokens = MarkdownIt().parse(markdown)
    return "".join(
        child.content for token in tokens for child in token.children or [] if child.type == "text"
    )


@pytest.mark.parametrize("kind", ["markdown", "front matter"])
def test_character_references_cannot_smuggle_controls(kind: str, tmp_path: Path) -> None:
    body = f"Body {REFERENCES} and more text, long enough to be the excerpt here.\n"
    if kind == "markdown":
        text = f"# Title {REFERENCES}\n\n{body}"
    else:
        text = f"---\ntitle: 'Title {REFERENCES}'\nexcerpt: 'Ex {REFERENCES}'\n---\n{body}"
    result = load(write(tmp_path, "r.md", text))
    assert isinstance(result, Article)
    for field in (result.title, result.excerpt, result.body):
        shown = rendered(field)
        assert "gpj.exe" in shown
        assert not UNSAFE.search(shown) and "\u200b" not in shown, repr(shown)
        assert "&#" not in field, field


def test_harmless_references_survive_ingest(tmp_path: Path) -> None:
    text = "# Fish &amp; chips\n\nIt&#8217;s a long enough body with an ampersand &amp; more.\n"
    result = load(write(tmp_path, "h.md", text))
    assert isinstance(result, Article)
    assert result.title == "Fish &amp; chips"
    assert "It&#8217;s" in result.body and "&amp; more" in result.body
