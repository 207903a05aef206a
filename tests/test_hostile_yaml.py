"""Hostile YAML front matter: each gives a Problem with a clear reason or an Article, never an
exception, a hang or a crash. Nesting deep enough to crash the C parser runs in a child process."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from hostile_support import load, load_isolated, write
from newsreader.ingest import front_matter as load_module
from newsreader.model import Article, Problem

BODY = "A short body paragraph that follows the front matter of this hostile file.\n"


def front(tmp_path: Path, yaml_text: str, body: str = BODY, name: str = "a.md") -> Path:
    return write(tmp_path, name, f"---\n{yaml_text}\n---\n{body}")


def problem(path: Path, *words: str) -> Problem:
    result = load(path)
    assert isinstance(result, Problem), result
    for word in words:
        assert word in result.reason, result.reason
    return result


def article(path: Path) -> Article:
    result = load(path)
    assert isinstance(result, Article), result
    return result


# -- syntax ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "title: [unclosed",
        "title: {a: 1",
        "title: 'unterminated",
        'title: "bad \\q escape"',
        "title: x\n  indented: wrongly\n bad: 1",
        "title: a: b: c",
        "- a\nb: c",
        "title: x\ntitle2: @reserved",
        "title: x\n%YAML 1.1",
        "title: *undefined_alias",
        "title: &a x\nother: &a y\nthird: *b",
        "title: x\n...\nmore: y",
    ],
)
def test_syntax_errors_are_problems(text: str, tmp_path: Path) -> None:
    problem(front(tmp_path, text), "front matter")


def test_error_reason_says_where(tmp_path: Path) -> None:
    reason = problem(front(tmp_path, "title: ok\nfoo: [unclosed\nbar: 1")).reason
    assert reason.startswith("invalid YAML front matter (line 3)"), reason


@pytest.mark.parametrize(
    ("text", "line"),
    [
        # the scanner gives up at the end of the file; the broken value starts on line 2
        ('---\ntitle: "unclosed\nauthor: x\ndate: 2021\ntopics: [a]\nurl: x\n---\nbody\n', 2),
        ("---\ntitle: a: b: c\nauthor: x\n---\nbody\n", 2),
        ("---\ntitle: ok\n  bad: indent\nauthor: x\n---\nbody\n", 3),
        ("\n\n---\ntitle: a: b\n---\nbody\n", 4),  # blank lines before the fence count
    ],
)
def test_error_line_is_the_files_line(text: str, line: int, tmp_path: Path) -> None:
    reason = problem(write(tmp_path, "x.md", text)).reason
    assert f"(line {line})" in reason, reason


@pytest.mark.parametrize("text", ["\ttitle: x", "title: x\n\tfoo: bar", "a:\n\t- b"])
def test_tabs(text: str, tmp_path: Path) -> None:
    problem(front(tmp_path, text), "invalid YAML")


def test_tab_inside_a_value_is_fine(tmp_path: Path) -> None:
    assert article(front(tmp_path, 'title: "a\\tb"\nx: c\td')).title == "a b"


def test_unterminated_block(tmp_path: Path) -> None:
    path = write(tmp_path, "a.md", "---\ntitle: never closed\nfoo: bar\n\nSome body text.\n")
    problem(path, "unterminated front matter")


def test_empty_front_matter(tmp_path: Path) -> None:
    assert article(write(tmp_path, "empty-fm.md", f"---\n---\n{BODY}")).title
    assert article(front(tmp_path, "# only a comment")).title


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("- a\n- b", "list"),
        ("just a string", "str"),
        ("42", "int"),
        ("[1, 2]", "list"),
        ("true", "bool"),
        ("2021-01-01", "date"),
    ],
)
def test_front_matter_not_a_mapping(text: str, kind: str, tmp_path: Path) -> None:
    problem(front(tmp_path, text), f"front matter is a {kind}, not a mapping")


def test_non_string_keys(tmp_path: Path) -> None:
    a = article(front(tmp_path, "title: t\n1: one\n2.5: x\nnull: n\ntrue: y\n2020-01-01: d"))
    assert set(a.extras) >= {"1", "2.5", "null", "true", "2020-01-01"}
    json.dumps(a.to_json())


@pytest.mark.parametrize("key", ["content", "handler", "metadata", "text", "encoding", "path"])
def test_keys_that_collide_with_frontmatter_arguments(key: str, tmp_path: Path) -> None:
    a = article(front(tmp_path, f"title: t\n{key}: injected\nhandler: 5"))
    assert a.extras[key if key != "handler" else "handler"] in ("injected", 5)
    assert a.body == BODY.strip()  # the body is the file's, not the ``content:`` key


# -- tags -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "template",
    [
        "title: !!python/object/apply:os.system ['touch {marker}']",
        "title: t\nx: !!python/object/apply:subprocess.call [[touch, {marker}]]",
        "title: t\nx: !!python/object/new:os.system ['touch {marker}']",
        "title: t\nx: !!python/name:os.system",
        "title: t\nx: !!python/module:os",
        "title: t\nx: !!python/object:os._wrap_close {{a: 1}}",
        "title: t\nx: !!python/tuple [1, 2]",
        "title: t\nx: !custom {{a: 'touch {marker}'}}",
        "title: t\nx: !<tag:evil.example,2020:x> [a]",
        "title: t\nx: !!binary aGVsbG8=",
        "title: t\nx: !!binary '%%% not base64'",
    ],
)
def test_tags_never_construct_objects(template: str, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    load(front(tmp_path, template.format(marker=marker)))
    assert not marker.exists()


def test_unknown_tags_read_as_plain_data(tmp_path: Path) -> None:
    a = article(front(tmp_path, "title: !custom Tagged title\nx: !thing {a: 1}\ny: !list [1]"))
    assert a.title == "Tagged title"
    assert a.extras["x"] == {"a": 1} and a.extras["y"] == [1]


# -- aliases --------------------------------------------------------------------------------------


def billion_laughs(levels: int = 9, width: int = 9) -> str:
    lines = ["title: lol", 'a0: &a0 "lol"']
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return "\n".join(lines)


def test_billion_laughs_is_refused(tmp_path: Path) -> None:
    started = time.process_time()
    problem(front(tmp_path, billion_laughs()), "aliases")
    assert time.process_time() - started < 2


def test_alias_bomb_under_the_alias_limit_stays_bounded(tmp_path: Path) -> None:
    # 8 levels of 8 aliases: 64 aliases, 8**8 leaves when walked naively.
    started = time.process_time()
    a = article(front(tmp_path, billion_laughs(levels=8, width=8)))
    assert time.process_time() - started < 2
    assert len(json.dumps(a.extras)) < 500_000


def test_aliases_in_known_fields(tmp_path: Path) -> None:
    text = (
        "t: &t [a, b]\ntopics: &x [*t, *t, *t, *t]\ntags: *x\n"
        "r: &r {title: x, webUrl: 'https://a.example/'}\nrelated: [*r, *r, *r]\ntitle: t"
    )
    a = article(front(tmp_path, text))
    assert len(a.related) == 3


@pytest.mark.parametrize(
    "text",
    [
        "title: t\nloop: &a [*a]",
        "title: t\nloop: &a {self: *a}",
        "title: t\nloop: &a [1, {x: *a}, [*a]]",
        "title: &a [*a]",
        "title: t\ntopics: &a [*a, AI]",
        "title: t\nrelated: &a [*a, {title: x, webUrl: 'https://a.example/'}]",
        "title: t\nprovider: &a {name: *a}",
        "title: t\nimages: &a [*a, {url: *a}]",
        "title: t\n? &a [x]\n: *a",
        "title: t\nx: !custom &a [*a]",
    ],
)
def test_self_referencing_aliases(text: str, tmp_path: Path) -> None:
    started = time.process_time()
    result = load(front(tmp_path, text))
    assert time.process_time() - started < 2
    if isinstance(result, Article):
        json.dumps(result.to_json())


# -- nesting --------------------------------------------------------------------------------------

DEEP = 60_000
DEEP_DOCUMENTS = {
    "flow-open": "title: t\nx: " + "[" * DEEP,
    "flow-closed": "title: t\nx: " + "[" * DEEP + "]" * DEEP,
    "flow-mapping": "title: t\nx: " + "{a: " * DEEP + "1" + "}" * DEEP,
    "block-dashes": "title: t\nx:\n  " + "- " * DEEP + "x",
    "block-questions": "title: t\nx:\n  " + "? " * DEEP + "x",
    "top-level-dashes": "- " * DEEP + "x",
    "top-level-questions": "? " * DEEP + "x",
    "block-indent": "title: t\n" + "".join(" " * i + f"k{i}:\n" for i in range(1200)) + "  x",
    "mixed": "title: t\nx:\n  " + "- [" * (DEEP // 2) + "1" + "]" * (DEEP // 2),
}


@pytest.mark.parametrize("name", sorted(DEEP_DOCUMENTS))
def test_deep_nesting_is_refused_in_a_child_process(name: str, tmp_path: Path) -> None:
    path = front(tmp_path, DEEP_DOCUMENTS[name])
    result = load_isolated(path)
    assert result["type"] == "Problem", result
    assert "front matter" in result["reason"], result


@pytest.mark.parametrize("name", ["flow-open", "flow-closed", "block-dashes", "block-questions"])
def test_deep_nesting_is_refused_before_the_parser_sees_it(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    def spy(kind: str) -> Any:
        def called(*args: Any, **kwargs: Any) -> Any:
            calls.append(kind)
            raise yaml.YAMLError("must not be reached")

        return called

    monkeypatch.setattr(yaml, "parse", spy("parse"))
    monkeypatch.setattr(yaml, "load", spy("load"))
    problem(front(tmp_path, DEEP_DOCUMENTS[name]), "nested too deeply")
    assert calls == []


@pytest.mark.parametrize(
    "text",
    [
        "x: " + "[" * 100 + "]" * 100,
        "x:\n  " + "- " * 100 + "x",
        "x:\n  " + "? " * 100 + "x",
        "x: " + "{a: " * 100 + "1" + "}" * 100,
    ],
)
def test_the_event_check_catches_what_the_text_check_misses(
    text: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a text estimate that lets the file through but cannot rule deep nesting out
    monkeypatch.setattr(load_module, "_text_nesting", lambda raw: (0, load_module.MAX_NESTING))
    problem(front(tmp_path, "title: t\n" + text), "nested too deeply")


def _event_depth(raw: str) -> int:
    depth = deepest = 0
    for event in yaml.parse(raw, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            deepest = max(deepest, depth)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return deepest


def _nested(levels: int, kinds: str) -> Any:
    value: Any = 1
    for i in range(levels):
        value = {"k": value} if kinds[i % len(kinds)] == "m" else [value]
    return value


@pytest.mark.parametrize("levels", [1, 2, 5, 20, 60])
@pytest.mark.parametrize("kinds", ["m", "s", "ms", "mms", "sss"])
@pytest.mark.parametrize("flow", [None, False, True])
def test_the_text_bound_that_skips_the_event_check_is_an_upper_bound(
    levels: int, kinds: str, flow: bool | None
) -> None:
    # yaml.dump writes block sequences under a key without indenting them (compact nesting)
    raw = yaml.safe_dump({"x": _nested(levels, kinds)}, default_flow_style=flow, indent=2)
    text_flow, lead = load_module._text_nesting(raw)
    assert _event_depth(raw) <= text_flow + lead + 2


def test_moderate_nesting_is_fine(tmp_path: Path) -> None:
    a = article(front(tmp_path, "title: t\nx: " + "[" * 20 + "1" + "]" * 20))
    assert "x" in a.extras


def test_brackets_inside_strings_are_harmless_when_balanced(tmp_path: Path) -> None:
    title = "[" * 30 + "x" + "]" * 30
    assert article(front(tmp_path, f"title: '{title}'")).title == title


def test_front_matter_too_large(tmp_path: Path) -> None:
    big = "title: t\n" + "".join(f"k{i}: {'v' * 100}\n" for i in range(12_000))
    problem(front(tmp_path, big), "too large")


# -- wrong types ----------------------------------------------------------------------------------

KNOWN_KEYS = [
    "title",
    "excerpt",
    "description",
    "summary",
    "provider",
    "source",
    "topics",
    "tags",
    "categories",
    "images",
    "image",
    "related",
    "type",
    "webUrl",
    "url",
    "originalUrl",
    "link",
    "canonical",
    "ampWebUrl",
    "cdnAmpWebUrl",
    "publishedDateTime",
    "published",
    "date",
    "pubDate",
]
WRONG_VALUES = [
    "null",
    "true",
    "-1",
    "1.0e+999",
    ".nan",
    "[]",
    "{}",
    "[[[]]]",
    "{a: {b: {c: d}}}",
    "[null, 1, {}]",
    "!!binary aGVsbG8=",
    "2021-02-30",
    "'\\x1b[31m'",
    "0x" + "f" * 100,
]


@pytest.mark.parametrize("key", KNOWN_KEYS)
def test_wrong_value_types_everywhere(key: str, tmp_path: Path) -> None:
    for i, value in enumerate(WRONG_VALUES):
        result = load(front(tmp_path, f"{key}: {value}", name=f"{key}-{i}.md"))
        assert isinstance(result, Article), (key, value, result)
        json.dumps(result.to_json(), allow_nan=False)


def test_related_entries_of_wrong_types(tmp_path: Path) -> None:
    entries = [f"  - {value}" for value in WRONG_VALUES]
    entries += [
        f"  - {{title: {v}, webUrl: {v}, provider: {v}, published: {v}}}" for v in WRONG_VALUES
    ]
    a = article(front(tmp_path, "title: t\nrelated:\n" + "\n".join(entries)))
    assert a.related == []


def test_keys_are_named_as_written_and_never_collide(tmp_path: Path) -> None:
    # A list or mapping as a key is valid YAML that a Python dict can't hold: it is named too.
    assert article(front(tmp_path, "title: t\n? [a, b]\n: list key\n")).extras == {
        "['a', 'b']": "list key"
    }
    a = article(
        front(
            tmp_path,
            "title: t\n1: one\ntrue: t\nnull: n\n2021-01-01: d\n[1, 2]: seq\n{a: 1}: map\n",
        )
    )
    assert a.extras["1"] == "one" and a.extras["true"] == "t" and a.extras["null"] == "n"
    assert a.extras["2021-01-01"] == "d" and a.extras["[1, 2]"] == "seq"
    assert a.extras["{'a': 1}"] == "map"


def test_merge_keys_still_merge(tmp_path: Path) -> None:
    a = article(front(tmp_path, "title: t\nbase: &b {x: 1}\nother:\n  <<: *b\n  y: 2\n"))
    assert a.extras["other"] == {"x": 1, "y": 2}
