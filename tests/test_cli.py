"""The command line, run as a user would: JSON output, exit codes, never a traceback."""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from newsreader.cli import main

SEED_TITLES = [
    "Internal Affairs used facial recognition software against NYPD cops: email",
    "The NYPD used a controversial facial recognition tool. Here’s what you need to know.",
    "Internal Affairs Used Clearview To Identify Two NYPD Officers Caught Drinking On The Job",
    "NYPD Leveraged Clearview AI – a Controversial Facial Recognition Technology",
    "Investigation reveals NYPD may use more facial recognition cameras in neighborhoods of color",
]


def run(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NEWSREADER_DATA_DIR": str(data_dir)}
    result = subprocess.run(
        [sys.executable, "-m", "newsreader", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result


def lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_list_json_gives_the_five_titles(seeds_dir: Path, data_dir: Path) -> None:
    result = run("list", str(seeds_dir), "--json", data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    items = lines(result.stdout)
    assert sorted(i["title"] for i in items) == sorted(SEED_TITLES)  # type: ignore[type-var]
    dated = [i["published"] for i in items if i["published"]]
    assert dated == sorted(dated, reverse=True)  # newest first
    for item in items:
        assert {
            "id",
            "path",
            "paths",
            "title",
            "url",
            "published",
            "provider",
            "topics",
            "related",
            "excerpt",
        } <= item.keys()
        assert item["path"] == item["paths"][0]  # type: ignore[index]
        assert "body" not in item
    by_title = {i["title"]: i for i in items}
    assert by_title[SEED_TITLES[0]]["related_local"] == [by_title[SEED_TITLES[1]]["id"]]


def test_list_query_and_search(seeds_dir: Path, data_dir: Path) -> None:
    result = run("list", str(seeds_dir), "--json", "--query", "neighborhoods", data_dir=data_dir)
    assert [i["title"] for i in lines(result.stdout)] == [SEED_TITLES[4]]
    result = run("search", str(seeds_dir), "neighborhoods", "--json", data_dir=data_dir)
    (hit,) = lines(result.stdout)
    assert hit["title"] == SEED_TITLES[4] and "[" in str(hit["snippet"])
    result = run("search", str(seeds_dir), "nypd", "-neighborhoods", data_dir=data_dir)
    assert result.returncode == 0 and "neighborhoods of color" not in result.stdout
    assert "Internal Affairs used" in result.stdout
    for awkward in ('"abc', "C++", "AT&T", "(", "*", "OR"):
        result = run("search", str(seeds_dir), awkward, data_dir=data_dir)
        assert result.returncode == 0, (awkward, result.stderr)


def test_search_prints_the_best_hits_with_their_snippets(seeds_dir: Path, data_dir: Path) -> None:
    everything = lines(run("search", str(seeds_dir), "police", "--json", data_dir=data_dir).stdout)
    assert len(everything) >= 2
    result = run("search", str(seeds_dir), "police", "--limit", "1", data_dir=data_dir)
    title, snippet, *rest = result.stdout.splitlines()
    assert everything[0]["title"] in title and rest == []
    assert "[police]" in snippet.lower() or "[Police]" in snippet
    assert f"the best 1 of {len(everything)} hits" in result.stderr
    every = run("search", str(seeds_dir), "police", "--limit", "0", "--json", data_dir=data_dir)
    assert lines(every.stdout) == everything and "the best" not in every.stderr


def test_show_json_text(seeds_dir: Path, data_dir: Path) -> None:
    paths = sorted(str(p) for p in seeds_dir.iterdir())
    result = run("show", "--json", "--text", *paths, data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    items = lines(result.stdout)
    assert [i["title"] for i in items] == SEED_TITLES
    bodies = {i["title"]: str(i["body"]) for i in items}
    assert "One day after the hero cop" in bodies[SEED_TITLES[2]]
    assert "Add Your Comment" not in bodies[SEED_TITLES[2]]
    assert "Follow us on social" not in bodies[SEED_TITLES[3]]
    assert "](http" not in bodies[SEED_TITLES[2]] + bodies[SEED_TITLES[3]]
    assert bodies[SEED_TITLES[0]] == ""


def test_index_problems_and_a_bad_file(seeds_copy: Path, data_dir: Path) -> None:
    (seeds_copy / "broken.txt").write_bytes(b"\x00\x01\x02binary\xff" * 50)
    (seeds_copy / "data.json").write_text('{"a": 1}')
    result = run("index", str(seeds_copy), data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("5 added, 0 updated, 0 removed, 2 skipped")
    assert "2 files skipped" in result.stdout
    again = run("index", str(seeds_copy), data_dir=data_dir)
    assert again.stdout.startswith("0 added, 0 updated, 0 removed, 0 skipped, 7 unchanged")
    problems = run("problems", str(seeds_copy), data_dir=data_dir)
    assert problems.returncode == 0
    broken, data = problems.stdout.splitlines()
    assert broken.startswith(f"{seeds_copy / 'broken.txt'}: ") and "binary" in broken
    assert data.startswith(f"{seeds_copy / 'data.json'}: ") and "JSON" in data
    listed = run("list", str(seeds_copy), data_dir=data_dir)
    assert listed.returncode == 0 and len(listed.stdout.splitlines()) == 5


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["list"], 2),
        (["list", "/no/such/folder"], 2),
        (["search", "seeds"], 2),
        (["search", "seeds", "x", "--bogus"], 2),
        (["search", "seeds", "x", "--limit", "-5"], 2),
        (["show"], 2),
        (["show", "/no/such/file.txt"], 1),
        (["--version"], 0),
        (["--help"], 0),
    ],
)
def test_exit_codes(
    args: list[str],
    code: int,
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(Path(__file__).resolve().parents[1])
    try:
        result = main(args)
    except SystemExit as exit_:
        result = int(exit_.code or 0)
    assert result == code
    err = capsys.readouterr().err
    assert "Traceback" not in err
    if code:
        assert err.startswith("newsreader: ") and len(err.splitlines()) <= 2


def test_data_dir_option_before_the_command(
    seeds_dir: Path, tmp_path: Path, data_dir: Path
) -> None:
    other = tmp_path / "other"
    result = run("--data-dir", str(other), "list", str(seeds_dir), data_dir=data_dir)
    assert result.returncode == 0 and len(result.stdout.splitlines()) == 5
    assert list((other / "cache").glob("*.sqlite")) and not list(data_dir.iterdir())


def test_damaged_cache_via_cli(seeds_dir: Path, data_dir: Path) -> None:
    assert run("index", str(seeds_dir), data_dir=data_dir).returncode == 0
    (cache,) = (data_dir / "cache").glob("*.sqlite")
    cache.write_bytes(b"junk" * 1000)
    result = run("list", str(seeds_dir), data_dir=data_dir)
    assert result.returncode == 0 and len(result.stdout.splitlines()) == 5
    assert "damaged" in result.stderr


def test_data_dir_precedence_flag_then_environment_then_config(
    seeds_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'data_dir = "{tmp_path / "from-config"}"\n')
    monkeypatch.setenv("NEWSREADER_CONFIG", str(config))
    monkeypatch.setenv("NEWSREADER_DATA_DIR", str(tmp_path / "from-env"))
    assert main(["index", str(seeds_dir)]) == 0
    assert (tmp_path / "from-env" / "state.sqlite").exists()
    assert not (tmp_path / "from-config").exists()
    assert main(["--data-dir", str(tmp_path / "from-flag"), "index", str(seeds_dir)]) == 0
    assert (tmp_path / "from-flag" / "state.sqlite").exists()
    monkeypatch.delenv("NEWSREADER_DATA_DIR")
    assert main(["index", str(seeds_dir)]) == 0
    assert (tmp_path / "from-config" / "state.sqlite").exists()


# -- help, mistakes, exit codes (issue 17) --------------------------------------------------------


def _help(*args: str) -> str:
    """What ``newsreader ARGS --help`` prints."""
    result = run(*args, "--help", data_dir=Path("/nonexistent"))
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_every_command_has_a_description_and_every_argument_help() -> None:
    from newsreader import helptext
    from newsreader.cli import COMMANDS, build_parser

    parser = build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    assert set(COMMANDS) <= set(sub.choices)
    for name, command in sub.choices.items():
        assert command.description, f"{name} has no description"
        for action in command._actions if name in helptext.COMMANDS else []:
            assert action.help, f"{name} {action.dest} has no help"
    assert "the folder of articles" in _help("list")
    top = _help()
    assert "Examples:" in top and "newsreader search" in top
    assert "NEWSREADER_CONFIG" in top and "NEWSREADER_DATA_DIR" in top


def test_search_help_shows_the_syntax_and_two_examples() -> None:
    text = _help("search")
    assert "README" not in text
    for syntax in (
        '"internal affairs"',
        "-koala",
        " OR ",
        "topic:",
        "source:",
        "is:starred",
        "after:",
    ):
        assert syntax in text, syntax
    examples = [line for line in text.splitlines() if line.strip().startswith("newsreader search")]
    assert len(examples) >= 2
    assert "--json" in text and "JSON Lines" in text
    export = _help("export")
    for fmt in ("markdown", "jsonl", "opml", "html"):
        assert fmt in export
    assert "link list" in export


def test_a_mistyped_command_gets_a_suggestion(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(Path(__file__).resolve().parents[1])
    assert main(["serach", "seeds", "nypd"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("newsreader: unknown command 'serach' (did you mean 'search'?)")
    assert main(["frobnicate", "seeds"]) == 2
    assert "unknown command 'frobnicate'" in capsys.readouterr().err


def test_no_such_story_or_article_is_a_failure_not_a_usage_error(
    seeds_dir: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", str(seeds_dir), "--story", "nosuchstory"]) == 1
    err = capsys.readouterr().err
    assert err == "newsreader: no such story: nosuchstory\n"
    assert main(["export", str(seeds_dir), "--id", "nosuchid"]) == 1
    assert capsys.readouterr().err == "newsreader: no such article id: nosuchid\n"


def test_the_reader_needs_a_terminal(seeds_dir: Path, data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    with out.open("w") as stdout:
        result = subprocess.run(
            [sys.executable, "-m", "newsreader", str(seeds_dir)],
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "NEWSREADER_DATA_DIR": str(data_dir)},
            timeout=60,
        )
    assert result.returncode == 2
    assert "needs a terminal" in result.stderr and "\x1b" not in result.stderr
    assert out.read_text() == ""


# -- --json for problems and index, and a line when there are no problems ------------------------


def test_problems_and_index_speak_json(seeds_copy: Path, data_dir: Path) -> None:
    clean = run("problems", str(seeds_copy), data_dir=data_dir)
    assert clean.returncode == 0 and clean.stdout == "No problems: 5 files read.\n"
    (seeds_copy / "data.json").write_text('{"a": 1}')
    report = lines(run("index", str(seeds_copy), "--json", data_dir=data_dir).stdout)
    assert len(report) == 1
    assert report[0]["added"] == 0 and report[0]["skipped"] == 1 and report[0]["unchanged"] == 5
    assert report[0]["problems"] == 1
    (problem,) = lines(run("problems", str(seeds_copy), "--json", data_dir=data_dir).stdout)
    assert problem["path"] == str(seeds_copy / "data.json") and "JSON" in str(problem["reason"])


# -- export counts what it wrote ------------------------------------------------------------------


def test_export_html_counts_the_links_it_wrote(seeds_dir: Path, data_dir: Path) -> None:
    target = data_dir / "out.html"
    result = run("export", str(seeds_dir), "-f", "html", "-o", str(target), data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    links = target.read_text().count("<li>")
    assert links == 3  # two of the five seeds have no URL
    assert "left out 2 article(s) with no URL" in result.stderr
    assert f"wrote {links} articles to {target}" in result.stderr


@pytest.mark.parametrize("where", ["/", "home"])
def test_a_root_or_home_data_dir_is_refused(seeds_dir: Path, tmp_path: Path, where: str) -> None:
    home = tmp_path / "home"
    home.mkdir()
    chosen = "/" if where == "/" else str(home)
    env = {**os.environ, "HOME": str(home), "NEWSREADER_DATA_DIR": chosen}
    result = subprocess.run(
        [sys.executable, "-m", "newsreader", "list", str(seeds_dir)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.startswith(f"newsreader: refusing to use {chosen} as the data dir")
    assert not (home / "state.sqlite").exists() and not Path("/state.sqlite").exists()


# -- caches of vanished folders, shell completion ------------------------------------------------


def test_cache_list_and_prune_remove_only_the_caches_of_vanished_folders(
    seeds_dir: Path, tmp_path: Path, data_dir: Path
) -> None:
    gone = tmp_path / "gone"
    shutil.copytree(seeds_dir, gone)
    assert run("index", str(gone), data_dir=data_dir).returncode == 0
    assert run("index", str(seeds_dir), data_dir=data_dir).returncode == 0
    assert run("index", str(tmp_path / "gone"), data_dir=data_dir).returncode == 0
    state = (data_dir / "state.sqlite").read_bytes()
    shutil.rmtree(gone)
    listed = run("cache", "--list", data_dir=data_dir).stdout.splitlines()
    assert len(listed) == 2
    (stale,) = [line for line in listed if "GONE" in line]
    assert str(gone) in stale and stale.split()[2].startswith("gone-")
    (kept,) = [line for line in listed if "GONE" not in line]
    assert str(seeds_dir) in kept
    pruned = run("cache", "--prune", data_dir=data_dir)
    assert pruned.returncode == 0 and "1 caches removed" in pruned.stdout
    (left,) = (data_dir / "cache").glob("*.sqlite")
    assert left.name.startswith("seeds-")
    assert (data_dir / "state.sqlite").read_bytes() == state
    # The folder that is still there keeps its cache: its list needs no sync work.
    again = run("index", str(seeds_dir), data_dir=data_dir)
    assert again.stdout.startswith("0 added, 0 updated, 0 removed, 0 skipped, 5 unchanged")


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts_come_from_the_parser(shell: str, tmp_path: Path) -> None:
    result = run("completion", shell, data_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    for word in ("search", "export", "problems", "json", "limit", "completion"):
        assert word in result.stdout, (shell, word)
    if shell == "bash" and shutil.which("bash"):
        script = tmp_path / "newsreader.bash"
        script.write_text(result.stdout)
        check = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr


def test_the_shipped_man_page_is_the_parsers() -> None:
    script = Path(__file__).resolve().parents[1] / "scripts" / "manpage.py"
    spec = importlib.util.spec_from_file_location("manpage", script)
    assert spec and spec.loader
    manpage = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(manpage)
    page = manpage.render()
    for text in (
        "newsreader search",
        "SEARCH SYNTAX",
        "is:starred",
        "NEWSREADER_CONFIG",
        "completion",
    ):
        assert text in page.replace("\\-", "-")
    assert manpage.PAGE.read_text(encoding="utf-8") == page, "run scripts/manpage.py"


def test_index_of_a_big_folder_ends_with_every_body_polished(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from newsreader.library import bodies
    from newsreader.library.library import Library
    from test_two_phase import make_folder

    monkeypatch.setattr(bodies, "TWO_PHASE_MIN", 1)
    folder, data = make_folder(tmp_path), tmp_path / "data"
    assert main(["--data-dir", str(data), "index", str(folder)]) == 0
    library = Library.open(folder, data)
    try:
        assert library.rough_bodies() == 0
    finally:
        library.close()
    assert "polishing" in capsys.readouterr().err  # its time, with the other phases'


# -- the counts of an index that polishes ----------------------------------------------------------

COUNTS_DUMP = (
    "Menu Home News Sport\nThe night the river rose over the old bridge\n\nBy A. Reporter\n{para}\n"
)


def _index_json(folder: Path, data: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    capsys.readouterr()
    assert main(["--data-dir", str(data), "index", "--json", str(folder)]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    out.pop("seconds")
    return out


def test_index_json_counts_of_a_big_folder_equal_one_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from newsreader.library import bodies
    from newsreader.library.library import Library
    from test_two_phase import PARA

    folder = tmp_path / "news"
    folder.mkdir()
    (folder / "a.txt").write_text(COUNTS_DUMP.format(para=PARA))
    # The same dump with a trailing blank and an extra blank line: another file's raw text
    # (another listed id), the same article once cleaned.
    (folder / "b.txt").write_text(COUNTS_DUMP.format(para=PARA).replace("Sport\n", "Sport  \n\n"))
    one_pass = _index_json(folder, tmp_path / "one", capsys)
    assert one_pass["duplicates"] == 1  # the premise: one pass sees one article
    monkeypatch.setattr(bodies, "TWO_PHASE_MIN", 1)
    phased = _index_json(folder, tmp_path / "two", capsys)
    library = Library.open(folder, tmp_path / "two")
    try:
        stored = library.conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    finally:
        library.close()
    assert stored == 1  # the cache holds one article, as one pass's
    assert phased == one_pass  # but the index said "added 2, duplicates 0"
