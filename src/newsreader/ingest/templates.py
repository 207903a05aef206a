"""Template markup in article text: what a site generator or a mail tool would have filled in.

A site's repository holds its articles before rendering, and a newsletter saved from the sender's
tool before merging: Liquid/Jinja tags (``{% if %}``, ``{{ site.title }}``) and mail-merge
placeholders (``{can-spam}``, ``*|FNAME|*``) are no text a reader should see. The text between
``{% raw %}`` and ``{% endraw %}`` is shown as written, as the site would show it; a
``{% comment %}`` block goes whole.
"""

from __future__ import annotations

import re

#: Each form stops at its first closing character, so an unclosed one costs a scan to the next
#: ``%``, ``}`` or ``|``, never to the end of the text.
_TOKEN = re.compile(
    r"\{%-?\s*(?P<block>(?:end)?(?:raw|comment))\s*-?%\}"
    r"|\{%[^%{}]{0,500}%\}"
    r"|\{\{[^{}]{0,500}\}\}"
    r"|\{[a-z]+(?:-[a-z]+)+\}"
    r"|\*\|[A-Z0-9_:]{1,40}\|\*"
)


def strip_templates(text: str) -> str:
    """``text`` without template tags, expressions and placeholders; raw blocks keep their text."""
    if "{" not in text and "*|" not in text:
        return text
    out: list[str] = []
    last = 0
    block = ""  # "raw" or "comment" while inside one
    for match in _TOKEN.finditer(text):
        if block and match.group("block") != "end" + block:
            continue  # inside a raw or comment block, tags are no tags
        if block != "comment":
            out.append(text[last : match.start()])
        last = match.end()
        opener = match.group("block") or ""
        block = "" if block or opener.startswith("end") else opener
    if block != "comment":
        out.append(text[last:])
    return "".join(out)
