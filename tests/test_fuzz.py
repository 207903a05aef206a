"""Property-based tests: random bytes and random YAML front matter always give an Article or a
Problem, never an exception, and an Article is always safe to show. Bounded to run in seconds."""

from __future__ import annotations

import codecs
import os
import re
import tempfile
from typing import Any

import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from hostile_support import assert_safe
from newsreader.ingest.discover import key_path, walk
from newsreader.ingest.load import load_bytes
from newsreader.ingest.sanitize import display_path
from newsreader.model import Article, Problem

#: 150 examples a test keeps CI to seconds; set NEWSREADER_FUZZ_EXAMPLES for a longer campaign.
FUZZ = settings(
    max_examples=int(os.environ.get("NEWSREADER_FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def check(data: bytes) -> Article | Problem:
    result = load_bytes(data, "fuzz.md")
    assert isinstance(result, Article | Problem), result
    if isinstance(result, Article):
        assert_safe(result)
    else:
        assert result.reason and result.path == "fuzz.md"
    return result


# -- random bytes ---------------------------------------------------------------------------------

PREFIXES = [
    b"",
    b"---\n",
    codecs.BOM_UTF8 + b"---\n",
    b"<html><head><title>",
    b"# ",
    b"<?xml version='1.0'?>",
    b"{",
    codecs.BOM_UTF16_LE,
]


@FUZZ
@given(st.sampled_from(PREFIXES), st.binary(max_size=2000))
@example(b"---\n", b"title: x\n---\n")
@example(b"", b"\x1b]52;c;AAAA\x07" * 10)
def test_random_bytes(prefix: bytes, data: bytes) -> None:
    check(prefix + data)


TEXTISH = st.text(
    alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Z", "Cc", "Cf")),
    max_size=800,
)


@FUZZ
@given(st.sampled_from(["", "---\n", "# ", "<p>", "<html>"]), TEXTISH, TEXTISH)
def test_random_text(prefix: str, head: str, tail: str) -> None:
    for encoding in ("utf-8", "utf-16", "cp1252"):
        check((prefix + head + "\n---\n" + tail).encode(encoding, "replace"))


# -- random YAML ----------------------------------------------------------------------------------

KEYS = st.sampled_from(
    [
        "title",
        "excerpt",
        "provider",
        "topics",
        "tags",
        "related",
        "images",
        "image",
        "url",
        "webUrl",
        "ampWebUrl",
        "publishedDateTime",
        "published",
        "date",
        "type",
        "content",
        "handler",
        "name",
        "domain",
        "width",
        "x",
    ]
) | st.text(max_size=10)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40)
    | st.sampled_from(
        [
            "https://example.com/a",
            "javascript:x",
            "-https://x",
            "2021-04-11T20:51:00Z",
            "2021-02-30",
            "\x1b[31m",
            "[bold]x[/]",
            "\u202e",
            "AI",
            "1e5",
            "0x10",
        ]
    )
    | st.dates()
    | st.datetimes()
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(KEYS, inner, max_size=5),
    max_leaves=30,
)


def dump(meta: Any, flow: bool) -> str:
    return yaml.safe_dump(meta, default_flow_style=flow, allow_unicode=True, sort_keys=False)


@FUZZ
@given(
    st.dictionaries(KEYS, VALUES, max_size=12) | VALUES,
    st.booleans(),
    st.text(max_size=200),
)
def test_random_yaml_front_matter(meta: Any, flow: bool, body: str) -> None:
    text = f"---\n{dump(meta, flow)}---\n{body}"
    check(text.encode("utf-8", "surrogatepass"))


@FUZZ
@given(
    st.dictionaries(KEYS, VALUES, min_size=1, max_size=8),
    st.lists(st.tuples(st.integers(0, 10_000), st.text(max_size=8)), max_size=5),
)
def test_mangled_yaml_front_matter(meta: dict[str, Any], edits: list[tuple[int, str]]) -> None:
    """Valid YAML with random text spliced in: mostly broken YAML, sometimes valid but odd."""
    raw = dump(meta, flow=False)
    for position, insert in edits:
        at = position % (len(raw) + 1)
        raw = raw[:at] + insert + raw[at:]
    check(f"---\n{raw}\n---\nbody".encode("utf-8", "surrogatepass"))


YAML_PIECES = st.sampled_from(
    [
        "- ",
        "? ",
        ": ",
        "[",
        "]",
        "{",
        "}",
        ", ",
        "&a ",
        "*a ",
        "!!str ",
        "!x ",
        "|\n",
        ">\n",
        "'",
        '"',
        "#",
        "\n",
        "\n  ",
        "\t",
        "key",
        "title",
        "---",
        "...",
        "%YAML 1.1\n",
        "<<: ",
        "!!python/object/apply:os.system ",
        "~",
        "0x1F",
        "2021-01-01",
    ]
)


@FUZZ
@given(st.lists(YAML_PIECES, max_size=60))
def test_yaml_token_soup(pieces: list[str]) -> None:
    check(("---\ntitle: soup\n" + "".join(pieces) + "\n---\nbody").encode())


# -- file names (issue 16, items 9 and 11) ----------------------------------------------------------

#: Bytes a file name may hold: anything but NUL and "/", weighted towards the troublesome ones
#: (controls, ESC sequences, bidi overrides in UTF-8, bytes that are not UTF-8).
NAME_PIECES = st.one_of(
    st.binary(min_size=1, max_size=8).map(lambda b: b.replace(b"\0", b"").replace(b"/", b"")),
    st.sampled_from(
        [
            b"\x1b]0;T\x07",
            b"\x1b[2J",
            b"\n",
            b"\r",
            b"\t",
            b"\xe2\x80\xae",
            b"\xe2\x81\xa6",
            b"\xff",
            b"\xc3",
            b"\xed\xa0\x80",
            b"\xc2\x9b",
            b"\\",
            b"\\x1b",
            b"a",
            b".md",
        ]
    ),
)
FILE_NAME = (
    st.lists(NAME_PIECES, min_size=1, max_size=6)
    .map(b"".join)
    .filter(lambda name: name not in (b"", b".", b"..") and len(name) <= 255)
)
#: What a display line must never hold: C0 and C1 controls, DEL, bidi controls, surrogates.
RAW_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


@FUZZ
@given(st.lists(FILE_NAME, min_size=1, max_size=5, unique=True))
def test_file_names_never_break_discovery_or_display(names: list[bytes]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        for name in names:
            with open(os.path.join(os.fsencode(folder), name), "wb") as handle:
                handle.write(b"---\ntitle: t\n---\nbody\n")
        shown = set()
        for entry in walk(folder):
            entry.path.encode("utf-8")  # storable as SQLite text
            assert key_path(entry.path) == entry.os_path
            assert os.path.isfile(entry.os_path)
            line = display_path(entry.path)
            assert line == display_path(entry.os_path)
            assert not RAW_CONTROL.search(line) and line.isprintable(), repr(line)
            shown.add(line)
        visible = [n for n in names if not n.startswith(b".")]
        assert len(shown) == len(visible)  # distinct names stay distinct on screen


@FUZZ
@given(st.text(max_size=200))
def test_display_path_of_any_text(text: str) -> None:
    line = display_path(text)
    assert not RAW_CONTROL.search(line) and line.isprintable(), repr(line)
    assert display_path(line) == line.replace("\\", "\\\\")
