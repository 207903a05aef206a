"""Find the article in a plain-text page dump: menus, sidebars and comments around it."""

from __future__ import annotations


def extract(text: str, *, title: str = "", excerpt: str = "", markdown: bool = False) -> str:
    """The article part of a page dump (placeholder: the whole text)."""
    return text


def find_title(text: str) -> str:
    """The headline of a page dump (placeholder: the first non-blank line)."""
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""
