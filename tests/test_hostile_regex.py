"""Regexes on file content stay linear: one adversarial file per pattern that once backtracked.

Each file was minutes of CPU (or, for the leading comments, exponential) before its fix; each must
now load within a generous CPU bound. The files are a few hundred kilobytes, so a quadratic
pattern is caught by a wide margin and a slow CI machine is not."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from hostile_support import load, write
from newsreader.ingest import textdump
from newsreader.model import Article

PARAGRAPH = (
    "The committee published its findings on Thursday, concluding that the project had run "
    "over budget because of poor planning and repeated changes to its scope."
)
DUMP = f"A headline for the dump\n\n{PARAGRAPH}\n\n{PARAGRAPH}\n\n"
PAGE = f"<html><head><title>Page title</title>{{head}}</head><body><p>{PARAGRAPH}</p></body></html>"
FM = "---\ntitle: Front matter\n---\n" + PARAGRAPH + "\n\n{body}\n"

HOSTILE = {
    # issue 16: 18 s at 32,000 ``#`` in the heading regex of _markdown_title
    "heading.md": "# x" + "#" * 32_000 + "y\n\n" + PARAGRAPH + "\n",
    "heading-fm.md": "---\nauthor: a\n---\n# x" + "#" * 32_000 + "y\n\n" + PARAGRAPH + "\n",
    # issue 16: a line of ``[](`` took 3.2 s at 96 KB, over 40 s at 384 KB (textdump's links)
    "links.txt": DUMP + "[](" * 128_000 + "\n",
    "brackets.txt": DUMP + "[" * 200_000 + "](\n",
    # forty empty comments before the first tag: exponential in _HTML_START
    "comments.txt": "<!---->" * 40 + "\n" + DUMP,
    "meta.html": PAGE.format(head="<meta " * 40_000),
    "attribute.html": PAGE.format(head="<meta " + "a" * 100_000 + ">"),
    "canonical.html": PAGE.format(head="<link " * 40_000),
    "email.txt": DUMP + "a." * 150_000 + " @\n",
    "table.txt": DUMP + "    " + "\xa0" * 200_000 + "x\n",
    "emphasis.md": FM.format(body=" *a" * 130_000),
    "underscores.md": FM.format(body=" _a" * 130_000),
    "code.md": FM.format(body=" `a" * 130_000),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_adversarial_file_loads_in_linear_time(name: str, tmp_path: Path) -> None:
    path = write(tmp_path, name, HOSTILE[name])
    started = time.process_time()
    result = load(path)
    elapsed = time.process_time() - started
    assert elapsed < 3, f"{name}: {elapsed:.2f} s of CPU"
    assert isinstance(result, Article), result
    assert "committee published its findings" in result.body


def test_heading_keeps_its_text_and_loses_its_closing_hashes(tmp_path: Path) -> None:
    a = load(write(tmp_path, "h.md", f"## The real headline ##\n\n{PARAGRAPH}\n"))
    assert isinstance(a, Article) and a.title == "The real headline"
    b = load(write(tmp_path, "c.md", f"# C# ##\n\n{PARAGRAPH}\n"))
    assert isinstance(b, Article) and b.title == "C#"


def test_dump_links_still_read_as_their_text() -> None:
    assert textdump._plain("See [the report](https://x.example/a) today") == "See the report today"
