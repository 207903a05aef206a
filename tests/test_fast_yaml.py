"""The Rust front-matter reader must read every document exactly as the PyYAML loader does, or
hand it back to PyYAML: the same values of the same types, and no document PyYAML refuses."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from newsreader.ingest import front_matter as load
from newsreader.ingest.front_matter import _SLOW, _fast_yaml, _Loader

pytestmark = pytest.mark.skipif(load.rust_yaml() is None, reason="yaml_rs is not installed")

#: Scalars that YAML 1.1 (PyYAML) and 1.2 (yaml_rs) read differently, and some they agree on.
SCALARS = [
    "x",
    "Police use facial recognition",
    "yes",
    "No",
    "ON",
    "off",
    "y",
    "n",
    "true",
    "False",
    "null",
    "~",
    "",
    "010",
    "08",
    "0o10",
    "0x1F",
    "0b101",
    "1_000",
    "+12",
    "-0",
    "7",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775809",
    "1:20",
    "12:30:05",
    "1.5",
    ".5",
    "1e3",
    "1.0e+3",
    ".inf",
    "-.Inf",
    ".NaN",
    "1,000",
    "=",
    "<<",
    "2021-04-01",
    "2021-02-30",
    "2021-4-1",
    "2021-04-01T10:00:00Z",
    "2021-04-01T10:00",
    "2021-04-01 10:00",
    "2021-04-01  10:00:00",
    "2021-04-01T1:00:00",
    "2021-04-01T10:00:00.Z",
    "2021-04-01T10:00:00+0530",
    "2021-04-01T10:00:00.123456789+01:00",
    "2021-04-01T24:00:00",
    "https://example.com/a?b=1&c=2",
    "a & b",
    "5 * 3",
    "wow!",
    "!tag x",
    "&anchor x",
    "10:30 pm",
    "007",
    "x: y",
    "- z",
    "# not a comment",
    "it's",
    'say "hi"',
    "é ✓ 日本",
]
KEYS = [
    "title",
    "excerpt",
    "publishedDateTime",
    "topics",
    "1",
    "true",
    "yes",
    "~",
    "null",
    "2021-01-01",
    "a b",
    "title",
    "1.5",
    "010",
]


def _quoted(text: str, style: str) -> str:
    if style == "'":
        return "'" + text.replace("'", "''") + "'"
    if style == '"':
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


scalar = st.builds(_quoted, st.sampled_from(SCALARS), st.sampled_from(["", "", "'", '"']))


@st.composite
def documents(draw: st.DrawFn) -> str:
    lines = []
    for _ in range(draw(st.integers(1, 6))):
        key = draw(st.sampled_from(KEYS))
        shape = draw(st.sampled_from(["scalar", "scalar", "list", "flow", "map", "related"]))
        if shape == "scalar":
            lines.append(f"{key}: {draw(scalar)}")
        elif shape == "list":
            lines.append(f"{key}:")
            lines += [f"  - {draw(scalar)}" for _ in range(draw(st.integers(0, 3)))]
        elif shape == "flow":
            items = ", ".join(draw(scalar) for _ in range(draw(st.integers(0, 3))))
            lines.append(f"{key}: [{items}]")
        elif shape == "map":
            lines.append(f"{key}:")
            lines += [f"  {draw(st.sampled_from(KEYS))}: {draw(scalar)}" for _ in range(2)]
        else:
            lines.append(f"{key}:")
            for _ in range(draw(st.integers(1, 2))):
                lines.append(f"  - title: {draw(scalar)}")
                lines.append(f"    publishedDateTime: {draw(scalar)}")
    if draw(st.booleans()):
        lines.insert(
            draw(st.integers(0, len(lines))),
            draw(
                st.sampled_from(
                    [
                        "\ttitle: x",
                        "  odd: indent",
                        "# a comment",
                        "",
                        "base: &b {x: 1}",
                        "c: *b",
                        "<<: {m: 1}",
                        "t: !custom 3",
                        "k: [unclosed",
                        "'q: x",
                    ]
                )
            ),
        )
    return "\n".join(lines) + "\n"


def _pyyaml(raw: str) -> object:
    try:
        return yaml.load(raw, Loader=_Loader)  # noqa: S506 - the safe loader
    except yaml.YAMLError:
        return "refused"


def _same(a: object, b: object) -> bool:
    """Equal, with the same types all the way down (1 == 1.0 == True is not enough)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)  # type: ignore[index]
    if isinstance(a, list):
        return len(a) == len(b) and all(map(_same, a, b))  # type: ignore[arg-type]
    if isinstance(a, float) and a != a:
        return b != b  # NaN
    return a == b and (not isinstance(a, dt.datetime) or a.tzinfo == b.tzinfo)  # type: ignore[union-attr]


@settings(max_examples=1500, deadline=None)
@given(documents())
def test_fast_reader_agrees_with_pyyaml(raw: str) -> None:
    fast = _fast_yaml(raw)
    if fast is _SLOW:
        return
    expected = _pyyaml(raw)
    assert expected != "refused", f"PyYAML refuses this, the fast reader took it:\n{raw}"
    assert _same(fast, expected), f"{raw}\nfast: {fast!r}\nPyYAML: {expected!r}"


@pytest.mark.parametrize(
    "raw",
    [
        "title: x\npublishedDateTime: 2021-04-01T10:00:00Z\ntopics: [AI, Tech]\n",
        "title: x\nrelated:\n  - title: y\n    webUrl: https://a.example/b?c=1&d=2\n",
        "title: 'x'\ntitle: 'y'\n",
        "n: 7\nb: true\nz: ~\n",
        "",
    ],
)
def test_ordinary_front_matter_takes_the_fast_path(raw: str) -> None:
    fast = _fast_yaml(raw)
    assert fast is not _SLOW
    assert _same(fast, _pyyaml(raw))


@pytest.mark.parametrize(
    "raw",
    [
        "a: yes",
        "a: 010",
        "a: 1:20",
        "a: 1e3",
        "1: x",
        "a: '2021-04-01'",
        "a: 9223372036854775808",
        "b: &x 1\nc: *x",
        "a: !t 1",
        "\ta: 1",
        "d:\n  <<: {x: 1}",
    ],
)
def test_what_yaml_1_1_reads_otherwise_goes_to_pyyaml(raw: str) -> None:
    assert _fast_yaml(raw) is _SLOW


@settings(max_examples=300, deadline=None)
@given(st.text(st.sampled_from(list(" -?:ab[]{}\n\r\t\x0b\x0c\x1c\x85\u2028\u2029")), max_size=60))
def test_the_line_lead_is_measured_as_splitlines_sees_lines(raw: str) -> None:
    from newsreader.ingest.front_matter import _text_nesting

    lead = max((len(line) - len(line.lstrip(" -?:")) for line in raw.splitlines()), default=0)
    assert _text_nesting(raw)[1] == lead
