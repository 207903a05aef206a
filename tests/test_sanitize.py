"""clean_text and clean_line remove everything that could drive or fool the terminal."""

from __future__ import annotations

import os
import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsreader.ingest.sanitize import clean_line, clean_text, display_path

#: What must never come out of clean_text: ESC and every other C0 control but tab and newline,
#: DEL, C1 controls, bidi embeddings/overrides/isolates, lone surrogates.
FORBIDDEN = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff\u200b\ud800-\udfff]"
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # CSI: colours, cursor movement, screen clearing, private modes.
        ("\x1b[31mred\x1b[0m text", "red text"),
        ("\x1b[1;38;2;255;0;0mbold\x1b[m", "bold"),
        ("\x1b[2J\x1b[Hcleared", "cleared"),
        ("\x1b[?1049halt screen\x1b[?1049l", "alt screen"),
        ("up\x1b[5Ahere", "uphere"),
        ("\x1b[6n", ""),  # cursor position report: makes the terminal type into stdin
        # OSC 52 clipboard, BEL- and ST-terminated.
        ("\x1b]52;c;cm0gLXJmIH4K\x07after", "after"),
        ("\x1b]52;c;cm0gLXJmIH4K\x1b\\after", "after"),
        ("\x1b]52;c;?\x07", ""),  # clipboard read request
        # OSC 8 hyperlink: the hidden target goes, the visible text stays.
        ("\x1b]8;;https://evil.example/\x1b\\click me\x1b]8;;\x1b\\", "click me"),
        ("\x1b]8;id=1;file:///etc/passwd\x07link\x1b]8;;\x07", "link"),
        # OSC 0/1/2: window and icon titles.
        ("\x1b]0;pwned\x07title", "title"),
        ("\x1b]2;pwned\x1b\\title", "title"),
        ("\x1b]1;icon\x07x", "x"),
        # Unterminated OSC: dropped to the end of its line, the next line survives.
        ("before\x1b]0;swallowed\nnext", "before\nnext"),
        # DCS (sixel, DECRQSS), SOS, PM, APC (kitty graphics).
        ("\x1bPq#0;2;0;0;0#0~~@@vv\x1b\\img", "img"),
        ("\x1bP$qm\x1b\\x", "x"),
        ("\x1bXsos\x1b\\x", "x"),
        ("\x1b^pm\x1b\\x", "x"),
        ("\x1b_Gf=100,a=T;AAAA\x1b\\x", "x"),
        # Other ESC sequences: reset, charsets, save/restore cursor, DEC tests, index.
        ("\x1bcreset", "reset"),
        ("\x1b(0lqqk\x1b(B", "lqqk"),
        ("\x1b7saved\x1b8", "saved"),
        ("\x1b#8fill", "fill"),
        ("\x1bMx\x1bD", "x"),
        ("\x1b=keypad\x1b>", "keypad"),
        # A lone ESC, and one at the very end.
        ("a\x1bb", "a"),
        ("trailing\x1b", "trailing"),
        ("\x1b[", ""),
        # 8-bit C1: CSI, OSC with ST, lone C1 controls (NEL, DCS, OSC) without a terminator.
        ("\x9b31mred\x9b0m", "red"),
        ("\x9d0;title\x9cvisible", "visible"),
        ("\x9d52;c;data\x07visible", "visible"),
        ("a\x85b\x90c\x9dd\x9fe", "abcde"),
        # C0 controls and DEL; tab and newline stay.
        ("a\x00b\x07c\x08d\x7fe", "abcde"),
        ("col1\tcol2\nline2", "col1\tcol2\nline2"),
        ("\x05\x06\x0e\x0f\x1a\x1c\x1d\x1e\x1f", ""),
        # Line endings.
        ("a\r\nb\rc\nd", "a\nb\nc\nd"),
        ("50%\r\x1b[2K100%", "50%\n100%"),
        ("page\x0cbreak\x0bvt", "page\nbreak\nvt"),
        ("line\u2028sep\u2029para", "line\nsep\npara"),
        # Bidi overrides, embeddings and isolates ("Trojan Source").
        ("\u202eevil\u202c", "evil"),
        ("a\u202ab\u202bc\u202dd", "abcd"),
        ("\u2066x\u2067y\u2068z\u2069", "xyz"),
        # Invisible junk.
        ("\ufeffhello", "hello"),
        ("zero\u200bwidth", "zerowidth"),
        ("word\u2060joiner", "wordjoiner"),
        # Lone surrogates cannot be written to the terminal.
        ("a\ud800b\udfffc", "abc"),
    ],
)
def test_clean_text_removes(raw: str, expected: str) -> None:
    assert clean_text(raw) == expected


@pytest.mark.parametrize(
    "text",
    [
        "[bold]not markup[/bold] [link=https://x]y[/link] [red]",
        "café Ελληνικά Русский 日本語 한국어",
        "שלום עולם \u200f and العربية \u200e marks",  # RLM/LRM are needed by RTL text
        "emoji family 👨\u200d👩\u200d👧 and ZWNJ می\u200cخواهم",
        "quotes “double” ‘single’ — dash … ellipsis € ™",
        "tabs\tand\nnewlines\n\nparagraphs",
        "maths: 5 > 3 < 7 & x = $1 % 2; a\\b",
        "",
    ],
)
def test_clean_text_keeps_ordinary_text(text: str) -> None:
    assert clean_text(text) == text


def test_escape_cannot_be_reassembled() -> None:
    # Removing one piece must never join others into a live sequence.
    for raw in (
        "\x1b\x00[31m",
        "\x1b\x1b[31m",
        "\x1b\x9b31m",
        "\x1b\u202e[31m",
        "\x1b]\x1b]0;x\x07",
    ):
        assert "\x1b" not in clean_text(raw)


def test_clean_text_on_large_input() -> None:
    text = ("A line of article text with “quotes” and \x1b[1mbold\x1b[0m.\r\n" * 50_000)[:-2]
    cleaned = clean_text(text)
    assert cleaned.count("\n") == 49_999
    assert "\x1b" not in cleaned and "\r" not in cleaned


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Title \n with\t\tbreaks \r\n ", "Title with breaks"),
        ("\x1b]0;pwned\x07Real \x1b[31mtitle\x1b[0m", "Real title"),
        ("\u202eReversed\u202c title", "Reversed title"),
        ("non\u00a0breaking\u2003em space", "non breaking em space"),
        ("[bold]kept[/bold]", "[bold]kept[/bold]"),
        ("", ""),
        ("\x00\x1b[2J \n\t", ""),
    ],
)
def test_clean_line(raw: str, expected: str) -> None:
    assert clean_line(raw) == expected


def test_clean_line_caps_with_ellipsis() -> None:
    assert clean_line("x" * 600) == "x" * 499 + "…"
    assert len(clean_line("x" * 600)) == 500
    assert clean_line("x" * 500) == "x" * 500
    assert clean_line("abc def ghi", 5) == "abc…"  # no space before the ellipsis
    assert clean_line("abcdef", 1) == "…"
    assert clean_line("abcdef", 0) == ""
    assert clean_line("word " * 200, 120).endswith("…")


# -- properties -----------------------------------------------------------------------------------

#: Text rich in the characters that matter here, plus anything else.
hostile_text = st.text(
    alphabet=st.one_of(
        st.sampled_from(
            "\x1b\x07\x9b\x9c\x9d\x90\x9e\x9f\x98\\[]();PX^_0123456789?m\r\n\t\x00\x7f"
            "\x85\u202a\u202e\u2066\u2069\ufeff\u200b\u2028"
        ),
        st.characters(),
    ),
    max_size=200,
)


@settings(max_examples=200, deadline=None)
@given(hostile_text)
def test_clean_text_output_is_inert(text: str) -> None:
    cleaned = clean_text(text)
    assert not FORBIDDEN.search(cleaned)
    assert clean_text(cleaned) == cleaned


@settings(max_examples=200, deadline=None)
@given(hostile_text, st.integers(min_value=0, max_value=80))
def test_clean_line_is_one_short_line(text: str, limit: int) -> None:
    line = clean_line(text, limit)
    assert len(line) <= limit
    assert not FORBIDDEN.search(line)
    assert "\n" not in line and "\t" not in line
    assert line == line.strip()
    assert clean_line(line, limit) == line


@pytest.mark.parametrize(
    "ref",
    [
        "&#x202e;",
        "&#X202E;",
        "&#x2066;",
        "&#8238;",
        "&#x200b;",
        "&#27;",
        "&#x1b;",
        "&#x9b;",
        "&#0;",
        "&#13;",
        "&#x2028;",
        "&#xfeff;",
        "&#x0000202e;",
        "&#xd800;",
        "&ZeroWidthSpace;",
        "&NoBreak;",
    ],
)
def test_references_to_stripped_characters_are_removed(ref: str) -> None:
    assert clean_text(f"a{ref}b") == "ab"


@pytest.mark.parametrize(
    "ref", ["&amp;", "&lt;", "&#8217;", "&#x2019;", "&#9;", "&#10;", "&zwj;", "&lrm;", "&#x200d;"]
)
def test_harmless_references_are_kept(ref: str) -> None:
    assert clean_text(f"a{ref}b") == f"a{ref}b"


@pytest.mark.parametrize("text", ["&#x2&#x202e;02e;", "&&#8238;#8238;", "&#x202\x07e;"])
def test_references_rejoined_by_a_removal_are_shown_not_decoded(text: str) -> None:
    cleaned = clean_text(text)
    assert cleaned in ("", "&amp;#x202e;", "&amp;#8238;")
    assert clean_text(cleaned) == cleaned


# -- issue 16, item 4: no regex here backtracks super-linearly on hostile text ----------------------

#: 1 MB inputs aimed at each pattern's loops: unterminated sequences, long parameter runs, repeated
#: starts. Linear work takes well under a second each; a quadratic pattern would take minutes.
ADVERSARIAL = {
    "csi-params": "\x1b[" + "0" * 1_000_000,
    "csi-repeated": "\x1b[0" * 333_333,
    "osc-unterminated": "\x1b]" + "a" * 1_000_000,
    "osc-repeated": "\x1b]0;" * 250_000,
    "esc-intermediates": "\x1b" + " " * 1_000_000,
    "esc-only": "\x1b" * 1_000_000,
    "c1-csi": "\x9b" + "0" * 1_000_000,
    "c1-string-unterminated": "\x9d" + "a" * 1_000_000,
    "c1-strings": ("\x90" + "a" * 50) * 19_600,
    "hex-reference-zeros": "&#x" + "0" * 1_000_000,
    "decimal-reference-zeros": "&#" + "0" * 1_000_000,
    "references-repeated": "&#x0" * 250_000,
    "names-unterminated": ("&" + "a" * 31) * 31_250,
    "rejoined-references": "&#x2&#x202e;02e;" * 62_500,
}


@pytest.mark.parametrize("text", ADVERSARIAL.values(), ids=ADVERSARIAL.keys())
def test_adversarial_text_is_cleaned_in_linear_time(text: str) -> None:
    started = time.perf_counter()
    cleaned = clean_text(text)
    clean_line(text)
    assert time.perf_counter() - started < 10, "super-linear: took over 10 s on 1 MB"
    assert "\x1b" not in cleaned and clean_text(cleaned) == cleaned


def test_display_path_of_a_long_hostile_name_is_fast() -> None:
    started = time.perf_counter()
    shown = display_path("\x1b]0;t\x07\udcff\u202e\\" * 25_000)
    assert time.perf_counter() - started < 10
    assert shown.startswith("\\x1b]0;t\\x07\\xff\\u202e\\\\")


def test_references_past_the_last_code_point_are_kept_as_written() -> None:
    # Found by scripts/mutate.py: no test held a reference just past U+10FFFF.
    assert clean_text("a &#x110000; b &#1114112; c") == "a &#x110000; b &#1114112; c"


@pytest.mark.parametrize("byte", [0x80, 0xBF, 0xFF])
def test_display_path_shows_each_byte_that_is_not_utf8(byte: int) -> None:
    # Found by scripts/mutate.py: the lowest such byte, 0x80, was never shown.
    assert display_path(os.fsdecode(b"x" + bytes([byte]) + b"y")) == f"x\\x{byte:02x}y"


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [*"ab &;. \t\n\r\x1b\x07\u202e\u00e9", "&#x1b;", "&#8238;", "&amp;", "&ZeroWidthSpace;"]
        ),
        max_size=12,
    ).map("".join),
    st.integers(0, 12),
)
def test_clean_lines_shortcut_gives_what_the_general_path_gives(text: str, limit: int) -> None:
    line = " ".join(clean_text(text).split())
    if len(line) > limit:
        line = line[: limit - 1].rstrip() + "…" if limit >= 1 else ""
    assert clean_line(text, limit) == line
