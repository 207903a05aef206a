"""Front-matter fields are coerced, never trusted: each helper alone, then through the loader."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from newsreader.ingest.coerce import (
    as_datetime,
    as_int,
    as_list,
    as_number,
    as_str,
    as_str_list,
    as_text,
    jsonable,
)
from newsreader.ingest.load import load_file
from newsreader.model import Article

WRONG_TYPES: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    2**70,
    1.5,
    float("nan"),
    float("inf"),
    "",
    "text",
    [],
    [1, "a", None],
    {},
    {"a": {"b": [1]}},
    date(2020, 1, 1),
    datetime(2020, 1, 1),
    b"bytes",
    object(),
]


# -- helpers --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", WRONG_TYPES, ids=[f"{i}-{type(v).__name__}" for i, v in enumerate(WRONG_TYPES)]
)
def test_helpers_never_raise(value: Any) -> None:
    assert isinstance(as_str(value), str)
    assert isinstance(as_text(value), str)
    assert isinstance(as_list(value), list)
    assert all(isinstance(item, str) for item in as_str_list(value))
    assert as_int(value) is None or isinstance(as_int(value), int)
    as_number(value)
    result = as_datetime(value)
    assert result is None or result.tzinfo is not None
    json.dumps(jsonable(value), allow_nan=False)


def test_as_str() -> None:
    assert as_str("  a \n b\t") == "a b"
    assert as_str(12) == "12" and as_str(1.5) == "1.5"
    assert as_str(True) == "" and as_str(None) == "" and as_str(["a"]) == ""
    assert as_str({"name": "x"}) == ""
    assert as_str("x" * 50, 10) == "x" * 9 + "…"
    assert as_str(10**5000) == ""  # too long to print: no ValueError


def test_as_text_keeps_lines_and_strips_escapes() -> None:
    assert as_text("a\nb\x1b[31m\u202e") == "a\nb"
    assert as_text(["x"]) == ""


def test_topics_coercion() -> None:
    assert as_str_list("AI") == ["AI"]
    assert as_str_list("AI, Robots ,") == ["AI", "Robots"]
    mixed = ["AI", "AI", 3, None, ["x"], {"name": "Named"}, True]
    assert as_str_list(mixed) == ["AI", "3", "Named"]
    assert as_str_list(None) == [] and as_str_list({}) == [] and as_str_list(5) == ["5"]
    assert len(as_str_list([f"t{i}" for i in range(1000)])) == 50
    assert len(as_str_list(",".join(f"t{i}" for i in range(100_000)))) == 50


def test_as_list() -> None:
    assert as_list(None) == [] and as_list("a") == ["a"] and as_list((1, 2)) == [1, 2]
    assert len(as_list(list(range(5000)))) == 1000


def test_numbers_in_strings_become_numbers() -> None:
    assert as_number("42") == 42 and as_number(" -7 ") == -7
    assert as_number("3.25") == 3.25 and as_number("1e3") == 1000.0
    assert as_number("12abc") == "12abc" and as_number("1e999") == "1e999"
    long_id = "123456789012345678901234"  # an id, not a number
    assert as_number(long_id) == long_id
    assert as_int("12") == 12 and as_int("12.9") == 12 and as_int("x") is None
    assert as_int(float("inf")) is None and as_int(None) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2021-04-11T20:51:00Z", datetime(2021, 4, 11, 20, 51, tzinfo=UTC)),
        ("2021-04-11T20:51:00+02:00", datetime(2021, 4, 11, 18, 51, tzinfo=UTC)),
        ("2021-04-11 20:51:00", datetime(2021, 4, 11, 20, 51, tzinfo=UTC)),
        ("2021-04-11", datetime(2021, 4, 11, tzinfo=UTC)),
        ("2021/04/11", datetime(2021, 4, 11, tzinfo=UTC)),
        ("Sun, 11 Apr 2021 20:51:00 GMT", datetime(2021, 4, 11, 20, 51, tzinfo=UTC)),
        ("April 11, 2021", datetime(2021, 4, 11, tzinfo=UTC)),
        ("11 Apr 2021", datetime(2021, 4, 11, tzinfo=UTC)),
        ("11.04.2021", datetime(2021, 4, 11, tzinfo=UTC)),
        ("1618174260", datetime(2021, 4, 11, 20, 51, tzinfo=UTC)),
        (1618174260, datetime(2021, 4, 11, 20, 51, tzinfo=UTC)),
        (1618174260000, datetime(2021, 4, 11, 20, 51, tzinfo=UTC)),
        (date(2021, 4, 11), datetime(2021, 4, 11, tzinfo=UTC)),
        (datetime(2021, 4, 11, 20, 51), datetime(2021, 4, 11, 20, 51, tzinfo=UTC)),
    ],
)
def test_dates_in_usual_formats(value: Any, expected: datetime) -> None:
    result = as_datetime(value)
    assert result == expected
    assert result is not None and result.tzinfo is not None


def test_aware_dates_keep_their_offset() -> None:
    result = as_datetime("2021-04-11T20:51:00+05:30")
    assert result is not None and result.utcoffset() == timedelta(hours=5, minutes=30)
    aware = datetime(2021, 1, 1, tzinfo=timezone(timedelta(hours=-3)))
    assert as_datetime(aware) == aware


@pytest.mark.parametrize(
    "value",
    [
        "",
        "yesterday",
        "2021-02-30",
        "2021-13-01",
        "99999-01-01",
        "0000-00-00",
        "not a date",
        10**30,
        -(10**30),
        float("nan"),
        float("inf"),
        True,
        [2021],
        {"y": 2021},
        "9" * 500,
    ],
    ids=repr,
)
def test_unreadable_dates_become_none(value: Any) -> None:
    assert as_datetime(value) is None


def test_jsonable_is_bounded_and_json_safe() -> None:
    loop: list[Any] = []
    loop.append(loop)
    assert json.dumps(jsonable(loop))
    wide: list[Any] = ["x"] * 8
    for _ in range(8):
        wide = [wide] * 8  # 8**9 leaves, as a YAML alias bomb builds them
    out = jsonable({"bomb": wide})
    assert len(json.dumps(out)) < 200_000
    assert jsonable({"n": "42", "f": "1.5", "d": date(2020, 1, 2), 3: "x", "big": 2**80}) == {
        "n": 42,
        "f": 1.5,
        "d": "2020-01-02",
        "3": "x",
        "big": str(2**80),
    }
    assert jsonable(float("nan")) is None
    assert jsonable({"s": {"a", "b"}})["s"] in (["a", "b"], ["b", "a"])
    assert jsonable("\x1b]52;c;aGk=\x07x\u202e") == "x"


# -- through the loader ---------------------------------------------------------------------------


def load(tmp_path: Path, front_matter: str, body: str = "") -> Article:
    path = tmp_path / "article.md"
    path.write_text(f"---\n{front_matter}\n---\n{body}", encoding="utf-8")
    result = load_file(str(path))
    assert isinstance(result, Article), result
    return result


def test_topics_string_becomes_list(tmp_path: Path) -> None:
    assert load(tmp_path, "title: t\ntopics: AI").topics == ["AI"]
    assert load(tmp_path, "title: t\ntags: [a, b]").topics == ["a", "b"]
    assert load(tmp_path, "title: t\ncategories: x, y").topics == ["x", "y"]
    assert load(tmp_path, "title: t\ntopics: {a: 1}").topics == []


@pytest.mark.parametrize(
    "related", ["5", "text", "{title: x, webUrl: 'https://a.com/'}", "null", "true", "''"]
)
def test_related_not_a_list_becomes_empty(related: str, tmp_path: Path) -> None:
    assert load(tmp_path, f"title: t\nrelated: {related}").related == []


def test_related_items_of_wrong_types_are_dropped_or_coerced(tmp_path: Path) -> None:
    fm = """title: t
related:
  - 1
  - null
  - [a, b]
  - "https://plain.example.com/string"
  - {title: no url}
  - {title: [x], webUrl: "https://a.example.com/x", provider: 7, publishedDateTime: {a: 1}}
  - {url: "https://b.example.com/y", provider: {name: B, domain: b.example.com},
     published: "2021-01-02", excerpt: 12}
"""
    related = load(tmp_path, fm).related
    assert [link.url for link in related] == ["https://a.example.com/x", "https://b.example.com/y"]
    first, second = related
    assert first.title == "https://a.example.com/x"  # no usable title: the URL stands in
    assert first.provider == "7" and first.published is None
    assert second.provider == "B" and second.domain == "b.example.com"
    assert second.published == datetime(2021, 1, 2, tzinfo=UTC)
    assert second.excerpt == "12"
    assert second.key == "b.example.com/y"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2021-04-11T20:51:00Z", datetime(2021, 4, 11, 20, 51, tzinfo=UTC)),
        ("2021-04-11", datetime(2021, 4, 11, tzinfo=UTC)),
        ("'April 11, 2021'", datetime(2021, 4, 11, tzinfo=UTC)),
        ("'Sun, 11 Apr 2021 20:51:00 +0000'", datetime(2021, 4, 11, 20, 51, tzinfo=UTC)),
        ("1618174260", datetime(2021, 4, 11, 20, 51, tzinfo=UTC)),
        ("2021-02-30", None),  # YAML's own timestamp type would raise: kept as text
        ("someday", None),
        ("[2021]", None),
        ("true", None),
    ],
)
def test_dates_through_yaml(value: str, expected: datetime | None, tmp_path: Path) -> None:
    assert load(tmp_path, f"title: t\ndate: {value}").published == expected


def test_first_readable_date_key_wins(tmp_path: Path) -> None:
    a = load(tmp_path, "title: t\npublishedDateTime: never\ndate: 2020-05-06")
    assert a.published == datetime(2020, 5, 6, tzinfo=UTC)
    assert a.extras["publishedDateTime"] == "never"  # not a date: kept as an extra


def test_numbers_in_strings_become_numbers_in_extras(tmp_path: Path) -> None:
    fm = 'title: t\nquality: "72"\nratio: "0.5"\nplain: 3\nid: "00012345678901234567890"\nname: x1'
    extras = load(tmp_path, fm).extras
    assert extras["quality"] == 72 and extras["ratio"] == 0.5 and extras["plain"] == 3
    assert extras["id"] == "00012345678901234567890" and extras["name"] == "x1"


def test_huge_integers_stay_text(tmp_path: Path) -> None:
    extras = load(tmp_path, f"title: t\nbig: {'9' * 5000}\nhex: 0x{'f' * 5000}").extras
    assert extras["big"].startswith("999") and extras["hex"].startswith("0xfff")


def test_missing_title_is_inferred(tmp_path: Path) -> None:
    body = "Someone wrote a long enough first paragraph that it makes a fine title here."
    assert load(tmp_path, "date: 2020-01-01", body).title.startswith("Someone wrote")
    assert load(tmp_path, "title: [a, list]", "Short body.").title == "article"  # the file name
    assert load(tmp_path, "title: 2021").title == "2021"
    # a title YAML reads as a date, a float or a boolean keeps its text as written
    assert load(tmp_path, "title: 2024-01-05").title == "2024-01-05"
    assert load(tmp_path, "title: 1.10").title == "1.10"
    assert load(tmp_path, "title: yes  # a comment").title == "yes"
    assert load(tmp_path, "title: '2024-01-05'").title == "2024-01-05"
    assert load(tmp_path, "title: ''\nexcerpt: An excerpt that is long enough to be a title.").title


def test_provider_as_string_or_dict(tmp_path: Path) -> None:
    named = load(tmp_path, "title: t\nprovider: The Paper\nurl: https://www.paper.example/x")
    assert (named.provider, named.domain) == ("The Paper", "paper.example")
    as_dict = load(tmp_path, "title: t\nprovider: {name: P, domain: p.example}")
    assert (as_dict.provider, as_dict.domain) == ("P", "p.example")
    domain_only = load(tmp_path, "title: t\nprovider: {domain: p.example}")
    assert (domain_only.provider, domain_only.domain) == ("p.example", "p.example")
    source = load(tmp_path, "title: t\nsource: Wire")
    assert source.provider == "Wire"
    wrong = load(tmp_path, "title: t\nprovider: [1, 2]\nurl: https://x.example/a")
    assert (wrong.provider, wrong.domain) == ("x.example", "x.example")


WRONG_EVERYWHERE = """
title: {a: 1}
excerpt: [1, 2]
description: 5
published: {x: 1}
publishedDateTime: [2021]
url: 42
webUrl: [https://a.example/]
originalUrl: {u: 1}
ampWebUrl: true
cdnAmpWebUrl: 3.5
provider: 99
topics: 1.5
images: {url: 7}
image: null
related: {a: b}
type: [news]
""".strip()


def test_wrong_types_everywhere(tmp_path: Path) -> None:
    a = load(tmp_path, WRONG_EVERYWHERE, "Short body.")
    assert a.title == "article"
    assert a.published is None
    assert (a.url, a.web_url, a.url_keys) == ("", "", [])
    assert a.provider == "99" and a.domain == ""
    assert a.topics == ["1.5"]
    assert a.images == [] and a.related == []
    assert a.type == "article"
    json.dumps(a.to_json(with_body=True), allow_nan=False)


def test_images_coercion(tmp_path: Path) -> None:
    fm = """title: t
images:
  - https://a.example/1.png
  - {url: "https://a.example/2.png", width: "640", height: wide}
  - {url: "javascript:alert(1)"}
  - 7
"""
    images = load(tmp_path, fm).images
    assert [(i.url, i.width, i.height) for i in images] == [
        ("https://a.example/1.png", None, None),
        ("https://a.example/2.png", 640, None),
    ]
    single = load(tmp_path, "title: t\nimage: https://a.example/3.png").images
    assert [i.url for i in single] == ["https://a.example/3.png"]


def test_non_string_keys_are_named_as_written(tmp_path: Path) -> None:
    extras = load(tmp_path, "title: t\n1: a\nnull: b\n2021-01-01: c\n3.5: d").extras
    assert extras == {"1": "a", "null": "b", "2021-01-01": "c", "3.5": "d"}


def test_float_extras_are_finite(tmp_path: Path) -> None:
    extras = load(tmp_path, "title: t\na: .inf\nb: .nan\nc: -.inf\nd: 1.0e+999\ne: '1e999'").extras
    assert extras == {"a": None, "b": None, "c": None, "d": None, "e": "1e999"}
    json.dumps(extras, allow_nan=False)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Apr 11 2021 8:51PM", datetime(2021, 4, 11, 20, 51, tzinfo=UTC)),
        ("Apr 11 2021  8:51AM", datetime(2021, 4, 11, 8, 51, tzinfo=UTC)),
        # RFC 2822's parser would take "PM" for a zone and read 8:51 in the morning
        ("Apr 11 2021 8:51 PM", datetime(2021, 4, 11, 20, 51, tzinfo=UTC)),
        ("Apr 11, 2021 8:51 PM", datetime(2021, 4, 11, 20, 51, tzinfo=UTC)),
        ("April 11, 2021 8:51pm", datetime(2021, 4, 11, 20, 51, tzinfo=UTC)),
        ("Apr 11 2021 12:05AM", datetime(2021, 4, 11, 0, 5, tzinfo=UTC)),
        ("4/11/2021 8:51:00 PM", datetime(2021, 4, 11, 20, 51, tzinfo=UTC)),
        ("Apr 11, 2021", datetime(2021, 4, 11, tzinfo=UTC)),
        ("Apr. 11, 2021", datetime(2021, 4, 11, tzinfo=UTC)),
        ("Apr 11 2021", datetime(2021, 4, 11, tzinfo=UTC)),
        ("Sunday, April 11, 2021", datetime(2021, 4, 11, tzinfo=UTC)),
        ("11 April 2021 20:51", datetime(2021, 4, 11, 20, 51, tzinfo=UTC)),
        ("11 Apr 2021 20:51:00 +0200", datetime(2021, 4, 11, 18, 51, tzinfo=UTC)),
        ("Sun, 11 Apr 2021 20:51:00 +0000", datetime(2021, 4, 11, 20, 51, tzinfo=UTC)),
        ("Sun, 11 Apr 2021 20:51:00 GMT", datetime(2021, 4, 11, 20, 51, tzinfo=UTC)),
        ("April 11th, 2021", datetime(2021, 4, 11, tzinfo=UTC)),
        ("April 1st, 2021", datetime(2021, 4, 1, tzinfo=UTC)),
        ("Apr. 11, 2021, 8:51 p.m.", datetime(2021, 4, 11, 20, 51, tzinfo=UTC)),
        ("Apr. 11, 2021, 8:51 a.m.", datetime(2021, 4, 11, 8, 51, tzinfo=UTC)),
        ("Sept. 3, 2021", datetime(2021, 9, 3, tzinfo=UTC)),
    ],
)
def test_dates_with_month_names_and_12_hour_clocks(value: str, expected: datetime) -> None:
    result = as_datetime(value)
    assert result == expected
    assert result is not None and result.tzinfo is not None


@pytest.mark.parametrize("value", ["Apr 31 2021 8:51PM", "Apr 11 2021 13:51PM", "Foo 11 2021"])
def test_impossible_month_name_dates_become_none(value: str) -> None:
    assert as_datetime(value) is None


def test_12_hour_date_through_yaml(tmp_path: Path) -> None:
    a = load(tmp_path, 'title: t\npublishedDateTime: "Apr 11 2021 8:51PM"')
    assert a.published == datetime(2021, 4, 11, 20, 51, tzinfo=UTC)
    assert a.published is not None and a.published.tzinfo is not None
    assert "publishedDateTime" not in a.extras
