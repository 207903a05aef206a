"""Write man/newsreader.1 from the command line's parser (argparse-manpage, a test dependency).

``.venv/bin/python scripts/manpage.py`` after a change to the options or their help;
tests/test_cli.py fails while the shipped page and the parser disagree.
Install it with ``install -Dm644 man/newsreader.1 ~/.local/share/man/man1/newsreader.1``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from argparse_manpage.manpage import Manpage  # type: ignore[import-untyped]

from newsreader import helptext
from newsreader.cli import _version, build_parser

PAGE = Path(__file__).resolve().parent.parent / "man" / "newsreader.1"


def render() -> str:
    """The man page's roff text."""
    parser = build_parser()
    data = {
        "project_name": "newsreader",
        "prog": "newsreader",
        "description": "a terminal reader for a folder of news articles",
        "url": "",
        "authors": ["the newsreader authors"],
        # The version where the date would be, so the page changes only when the parser does.
        "date": f"version {_version()}",
        "manual_section": "1",
        "manual_title": "User Commands",
    }
    page = str(Manpage(parser, _data=data, format="single-commands-section"))
    # argparse-manpage leaves out the commands' epilogs: the search syntax is one of them.
    syntax = _roff(helptext.SEARCH_EPILOG.removeprefix("Search syntax:\n"))
    return page.replace(".SH AUTHOR", f".SH SEARCH SYNTAX\n.nf\n{syntax}\n.fi\n\n.SH AUTHOR", 1)


def _roff(text: str) -> str:
    """Plain text as roff lines: backslashes and dashes escaped, no line taken as a request."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "\n".join(f"\\&{line}" for line in text.splitlines())


def main() -> int:
    """Write the page."""
    PAGE.parent.mkdir(exist_ok=True)
    PAGE.write_text(render(), encoding="utf-8")
    print(f"wrote {PAGE}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
