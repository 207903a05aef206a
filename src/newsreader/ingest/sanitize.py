"""Strip terminal-dangerous content from untrusted text, once, at ingest.

Article files come from anywhere. Text that reaches the terminal must not be able to move the
cursor, rewrite the window title, set the clipboard (OSC 52), plant hidden hyperlinks (OSC 8),
or reorder what the reader sees (bidi overrides). Everything is removed here so no later layer
has to think about it. Rich/Textual markup such as ``[bold]`` is left alone: the UI builds
``Text`` objects, which show brackets literally.
"""

from __future__ import annotations

import html.entities
import re

#: ESC sequences. ESC-introduced strings (OSC, DCS, SOS, PM, APC) run to BEL or ST; an
#: unterminated one is dropped to the end of its line, as a terminal would swallow it. Every
#: branch starts with ESC, so the regex engine can skip ahead to the next ESC quickly.
_ESCAPE = re.compile(
    r"""
    \x1b (?: [\]PX^_] [^\x07\x1b\x9c\n]* (?:\x07|\x1b\\|\x9c)?   # OSC, DCS ...: to BEL or ST
           | \[ [0-?]* [ -/]* [@-~]                            # CSI: cursor, colour, erase ...
           | [ -/]* [0-~] )                                    # others: ESC c, ESC ( B, ESC 7 ...
    """,
    re.VERBOSE,
)

#: The 8-bit C1 forms: CSI, and strings only with a terminator on the same line. A stray U+0090
#: or U+009D in real text (say, from a cp1252 file) must not eat the rest of the line; the char
#: itself is removed below anyway.
_C1_SEQUENCE = re.compile(
    r"\x9b[0-?]*[ -/]*[@-~]|[\x90\x98\x9d\x9e\x9f][^\x07\x1b\x80-\x9f\n]*(?:\x07|\x1b\\|\x9c)"
)
_C1 = re.compile("[\x80-\x9f]")

#: Line breaks of every kind become "\n" (after CRLF): a terminal renders U+2028/U+2029
#: unpredictably.
_NEWLINE = re.compile("[\r\x0b\x0c\u2028\u2029]")

#: Characters removed outright:
#: C0 controls except tab and newline, DEL, C1 controls; bidi embeddings, overrides and isolates
#: (U+202A-U+202E, U+2066-U+2069: "Trojan Source" reordering); invisible junk that hides or splits
#: words (zero-width space U+200B, word joiner U+2060, U+FEFF, Mongolian vowel separator U+180E,
#: interlinear annotation U+FFF9-U+FFFB); and lone surrogates, which cannot be encoded for
#: the terminal and would crash output. ZWJ/ZWNJ (U+200C/U+200D) and LRM/RLM (U+200E/U+200F)
#: stay: emoji, Persian and Indic text, and Arabic/Hebrew need them.
_REMOVE = re.compile(
    "[\x00-\x08\x0e-\x1f\x7f-\x9f\u180e\u200b\u202a-\u202e\u2060\u2066-\u2069"
    "\ufeff\ufff9-\ufffb\ud800-\udfff]+"
)

#: Any character the passes above act on: ESC and CR are among the C0 controls.
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u180e\u200b\u2028\u2029\u202a-\u202e\u2060"
    "\u2066-\u2069\ufeff\ufff9-\ufffb\ud800-\udfff]"
)

#: Character references, numeric (any leading zeros) or named. Markdown renderers decode them,
#: so ``&#x202e;`` left in a body becomes a real U+202E on screen, after ingest has run.
_CHAR_REF = re.compile(
    r"&(?:#[xX]0*([0-9a-fA-F]{1,6})|#0*([0-9]{1,7})|([A-Za-z][A-Za-z0-9]{1,31}));"
)


def _strips(char: str) -> bool:
    """True for text that ``clean_text`` would remove or change."""
    return bool(_REMOVE.search(char) or _NEWLINE.search(char))


#: Named references that stand for such characters (``&ZeroWidthSpace;``, ``&NoBreak;`` ...).
_BAD_NAMES = frozenset(
    name[:-1]
    for name, value in html.entities.html5.items()
    if name.endswith(";") and _strips(value)
)

ELLIPSIS = "…"


def clean_text(s: str) -> str:
    """Remove terminal-dangerous content from untrusted multi-line text.

    Drops ANSI CSI sequences, OSC strings (clipboard, hyperlinks, titles) ended by BEL or ST,
    other ESC sequences, DCS/SOS/PM/APC strings, C0 controls except newline and tab, DEL, C1
    controls, bidi overrides and isolates, lone surrogates and zero-width junk. Line endings
    (CRLF, CR, VT, FF, U+2028, U+2029) become ``\\n``. Character references (``&#x202e;``,
    ``&#27;``, ``&ZeroWidthSpace;``) that a Markdown renderer would decode into any of these are
    removed too; harmless ones (``&amp;``, ``&#8217;``) stay. The result contains no ESC at all,
    so no sequence can survive or be re-formed, and ``clean_text(clean_text(s)) ==
    clean_text(s)``.
    """
    if _UNSAFE.search(s):  # most text has none of it: one scan, not four
        if _C1.search(s):
            # C1 strings first: one ended by ESC \ must go whole, before the ESC pass takes its ST.
            s = _C1_SEQUENCE.sub("", s)
        s = _ESCAPE.sub("", s)
        s = _NEWLINE.sub("\n", s.replace("\r\n", "\n"))
        s = _REMOVE.sub("", s)
    if "&" in s and any(_bad_groups(*groups) for groups in set(_CHAR_REF.findall(s))):
        # a page holds thousands of harmless references: one scan tells whether any is bad
        s = _CHAR_REF.sub(_drop_bad_ref, s)
        # Removing one reference can join the halves of another (``&#x2&#x202e;02e;``): those
        # are shown literally instead, with their ``&`` escaped, so no second pass can differ.
        s = _CHAR_REF.sub(_escape_bad_ref, s)
    return s


def _bad_ref(match: re.Match[str]) -> bool:
    return _bad_groups(*match.groups())


def _bad_groups(hex_digits: str | None, decimal: str | None, name: str | None) -> bool:
    """Whether the reference with these parts of ``_CHAR_REF`` stands for a character that
    ``clean_text`` strips (findall gives '' for a part that did not take part)."""
    if name:
        return name in _BAD_NAMES
    code = int(hex_digits, 16) if hex_digits else int(decimal or "0")
    # Zero and surrogates are stripped too; beyond U+10FFFF renderers show U+FFFD.
    return code <= 0x10FFFF and _strips(chr(code))


def _drop_bad_ref(match: re.Match[str]) -> str:
    return "" if _bad_ref(match) else match.group(0)


def _escape_bad_ref(match: re.Match[str]) -> str:
    return "&amp;" + match.group(0)[1:] if _bad_ref(match) else match.group(0)


def clean_line(s: str, limit: int = 500) -> str:
    """One display line: ``clean_text``, all whitespace collapsed to single spaces, stripped.

    Longer than ``limit`` characters, it is cut to ``limit`` characters including a final ``…``.
    For titles, providers and topics.
    """
    if s.isascii() and s.isprintable() and "&" not in s and "  " not in s and len(s) <= limit:
        if s[:1] != " " and s[-1:] != " ":  # already one clean line, as most titles are
            return s
    line = " ".join(clean_text(s).split())
    if len(line) <= limit:
        return line
    if limit < 1:
        return ""
    return line[: limit - 1].rstrip() + ELLIPSIS


#: What ``display_path`` escapes: backslash (so an escape is never ambiguous), a byte that
#: ``path_key`` escaped (NUL and two hex digits), and any character ``str.isprintable`` rejects:
#: controls, bidi and other format characters, line and paragraph separators, lone surrogates.
_PATH_ESCAPE = re.compile(r"\\|\x00[0-9A-F]{2}|[^\x20-\x7e]")
_SHORT_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def display_path(path: str) -> str:
    """A file path as one visible, unambiguous line for the terminal.

    File names are the one untrusted text that is not cleaned at ingest (the path must still open
    the file), so wherever one is shown it goes through here: ESC, newlines, bidi overrides and
    other invisible or control characters are written as escapes (``\\x1b``, ``\\n``,
    ``\\u202e``), a byte that is not UTF-8 as ``\\xff`` (from an OS path or a cache key alike),
    and a backslash as ``\\\\``. Every other character is kept, so ordinary names read as they
    are.
    """
    if path.isascii() and path.isprintable() and "\\" not in path:
        return path
    return _PATH_ESCAPE.sub(_escape_path_char, path)


def _escape_path_char(match: re.Match[str]) -> str:
    text = match.group()
    if len(text) == 3:  # NUL and the hex of a byte that is not UTF-8
        return "\\x" + text[1:].lower()
    if text in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[text]
    if text.isprintable():
        return text
    code = ord(text)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that is not UTF-8, as os.fsdecode gives it
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"
