"""What the README promises from the shell, run as a user would: the installed ``newsreader``
command in a subprocess, on the seeds, with a private data dir and config file.

``stories`` (the four NYPD-Clearview reports are one story, the camera-network piece stands
apart), ``export`` (the default format, ``--story``, ``--id``, ``-o``), ``config --init`` and
``config --path``.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

from newsreader.config import Config

#: The installed console script, next to the interpreter running the tests.
NEWSREADER = Path(sys.executable).with_name("newsreader")

#: The four reports of the NYPD-Clearview story, by seed file.
STORY = {
    "000": "Internal Affairs used facial recognition software against NYPD cops: email",
    "001": "The NYPD used a controversial facial recognition tool. Here’s what you need to know.",
    "002": "Internal Affairs Used Clearview To Identify Two NYPD Officers Caught Drinking On The Job",
    "003": "NYPD Leveraged Clearview AI – a Controversial Facial Recognition Technology",
}
#: The camera-network piece, a story of its own.
APART = (
    "Investigation reveals NYPD may use more facial recognition cameras in neighborhoods of color"
)

#: A story's first line in ``stories``: its id, its size, its title.
STORY_LINE = re.compile(r"^(?P<id>\S+)  (?P<size>\d+) reports  (?P<title>.+)$")
#: An article's line under it: indented, a date or blanks, the title, the provider in brackets.
ARTICLE_LINE = re.compile(r"^    (?:\d{4}-\d{2}-\d{2}| {10})  (?P<rest>.+)$")


@pytest.fixture
def env(tmp_path: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private config file path (not created) in ``NEWSREADER_CONFIG``; the data dir is the
    ``data_dir`` fixture's. Returns the config path."""
    path = tmp_path / "conf" / "config.toml"
    monkeypatch.setenv("NEWSREADER_CONFIG", str(path))
    return path


def newsreader(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run the installed command; it never prints a traceback."""
    done = subprocess.run(
        [str(NEWSREADER), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def ids_by_title(seeds: Path) -> dict[str, str]:
    """Each seed's article id, by title, from ``list --json``."""
    done = newsreader("list", seeds, "--json")
    assert done.returncode == 0, done.stderr
    return {item["title"]: item["id"] for item in json_lines(done.stdout)}


def markdown_titles(text: str) -> list[str]:
    """The ``# title`` line of each article of a Markdown export, in order."""
    return [line[2:] for line in text.splitlines() if line.startswith("# ")]


# -- stories -----------------------------------------------------------------------------------------


def test_stories_lists_the_nypd_story_with_its_four_reports(seeds_dir: Path, env: Path) -> None:
    done = newsreader("stories", seeds_dir)
    assert done.returncode == 0, done.stderr
    first, *rest = done.stdout.splitlines()
    story = STORY_LINE.match(first)
    assert story is not None, first
    assert story["size"] == "4" and story["title"] in STORY.values()
    articles = [ARTICLE_LINE.match(line) for line in rest]
    assert all(articles), rest  # one story only: every other line is one of its articles
    shown = {m["rest"] for m in articles if m}
    # Each line is the title, then the provider in brackets when the file names one.
    assert {re.sub(r"  \([^)]*\)$", "", line) for line in shown} == set(STORY.values())
    assert f"{STORY['000']}  (New York Post)" in shown
    assert APART not in done.stdout


def test_stories_json_groups_the_four_and_leaves_the_camera_piece_apart(
    seeds_dir: Path, env: Path
) -> None:
    ids = ids_by_title(seeds_dir)
    done = newsreader("stories", seeds_dir, "--json")
    assert done.returncode == 0, done.stderr
    (story,) = json_lines(done.stdout)
    members = {a["id"] for a in story["articles"]}
    assert members == {ids[title] for title in STORY.values()}
    assert ids[APART] not in members
    assert story["size"] == len(story["articles"]) == 4
    assert story["title"] in STORY.values()
    dates = [a["published"] for a in story["articles"] if a["published"]]
    assert story["newest"] == max(dates) == "2021-04-11T20:51:00+00:00"


# -- export ------------------------------------------------------------------------------------------


def test_export_defaults_to_markdown_of_every_article(seeds_dir: Path, env: Path) -> None:
    done = newsreader("export", seeds_dir)
    assert done.returncode == 0, done.stderr
    text = done.stdout
    titles = markdown_titles(text)
    assert sorted(titles) == sorted([*STORY.values(), APART])
    assert titles[0] == APART  # the list's order: newest first
    # Articles are separated by a rule; each keeps its body, its URL and its related links.
    assert len(text.split("\n---\n\n")) == 5
    assert "One day after the hero cop" in text
    assert "<https://nypost.com/2021/04/11/internal-affairs-used-facial-recognition" in text
    assert "## Related" in text


def test_export_story_writes_its_four_reports_to_a_file(
    seeds_dir: Path, env: Path, tmp_path: Path
) -> None:
    (story,) = json_lines(newsreader("stories", seeds_dir, "--json").stdout)
    on_stdout = newsreader("export", seeds_dir, "--story", story["story"])
    assert on_stdout.returncode == 0, on_stdout.stderr
    assert sorted(markdown_titles(on_stdout.stdout)) == sorted(STORY.values())

    out = tmp_path / "out" / "story.md"
    out.parent.mkdir()
    done = newsreader("export", seeds_dir, "--story", story["story"], "-o", out)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert done.stderr.strip() == f"wrote 4 articles to {out}"
    assert out.read_text(encoding="utf-8") == on_stdout.stdout


def test_export_id_gives_those_articles_in_that_order(
    seeds_dir: Path, env: Path, tmp_path: Path
) -> None:
    ids = ids_by_title(seeds_dir)
    chosen = [STORY["002"], APART]
    out = tmp_path / "two.jsonl"
    done = newsreader(
        "export",
        seeds_dir,
        "--id",
        ids[chosen[0]],
        "--id",
        ids[chosen[1]],
        "-f",
        "jsonl",
        "-o",
        out,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and f"wrote 2 articles to {out}" in done.stderr
    items = json_lines(out.read_text(encoding="utf-8"))
    assert [i["title"] for i in items] == chosen
    assert [i["id"] for i in items] == [ids[t] for t in chosen]
    assert "One day after the hero cop" in items[0]["body"]

    one = newsreader("export", seeds_dir, "--id", ids[APART])
    assert markdown_titles(one.stdout) == [APART]


# -- config ------------------------------------------------------------------------------------------


def test_config_path_prints_newsreader_config(env: Path) -> None:
    done = newsreader("config", "--path")
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{env}\n"
    assert not env.exists()  # only said, not written


def test_config_init_writes_a_commented_default_with_every_setting(env: Path) -> None:
    done = newsreader("config", "--init")
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"wrote {env}\n"
    text = env.read_text(encoding="utf-8")
    settings = tomllib.loads(text)
    every = {f.name for f in fields(Config)} - {"problems", "path"}
    assert set(settings) == every
    # The values written are the defaults, and each setting has a comment above it.
    defaults = Config()
    for name in every - {"keys"}:
        assert settings[name] == getattr(defaults, name), name
    lines = text.splitlines()
    for name in every - {"keys"}:
        at = next(i for i, line in enumerate(lines) if line.startswith(f"{name} = "))
        assert lines[at - 1].startswith("#"), name

    check = newsreader("config", "--check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout == f"{env}: no problems\n"

    # A second --init never overwrites the file.
    env.write_text(text + "# my own line\n", encoding="utf-8")
    again = newsreader("config", "--init")
    assert again.returncode == 1 and "already exists" in again.stderr
    assert env.read_text(encoding="utf-8") == text + "# my own line\n"
