"""Hostile paths (issue 16): symlinks out of the folder, names that are not UTF-8, names that
carry terminal controls, paths longer than the system allows."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from newsreader.ingest.discover import key_path, path_key, walk
from newsreader.ingest.sanitize import display_path

ARTICLE = "---\ntitle: {title}\n---\nA body paragraph that is long enough to be an article.\n"
#: Raw controls a terminal acts on: C0 but tab, DEL, C1, bidi embeddings/overrides/isolates.
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX paths")


def article(folder: Path, name: str | bytes, title: str) -> Path:
    """Write an article under ``folder`` with a name given as text or raw bytes."""
    raw = os.path.join(os.fsencode(folder), name if isinstance(name, bytes) else name.encode())
    with open(raw, "wb") as handle:
        handle.write(ARTICLE.format(title=title).encode())
    return Path(os.fsdecode(raw))


def cli(*args: str | Path, data_dir: Path) -> subprocess.CompletedProcess[str]:
    """Run the installed command line as a user would; never a traceback."""
    env = {**os.environ, "NEWSREADER_DATA_DIR": str(data_dir), "PYTHONIOENCODING": "utf-8"}
    result = subprocess.run(
        [sys.executable, "-m", "newsreader", *map(str, args)],
        capture_output=True,
        text=True,
        errors="surrogateescape",
        env=env,
        timeout=120,
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result


# -- item 13: symlinks out of the folder ------------------------------------------------------------


@posix_only
def test_a_symlink_out_of_the_folder_is_not_followed(tmp_path: Path) -> None:
    secret = article(tmp_path, "secret.txt", "My secret")
    folder = tmp_path / "news"
    folder.mkdir()
    article(folder, "real.md", "Real")
    (folder / "innocent.txt").symlink_to(secret)
    (folder / "relative.txt").symlink_to("../secret.txt")
    (folder / "inside.md").symlink_to(folder / "real.md")
    (folder / "dotdot.md").symlink_to("../news/real.md")  # out and back in: inside
    skipped: list[tuple[str, str]] = []
    found = [Path(entry.path).name for entry in walk(str(folder), skipped)]
    assert found == ["dotdot.md", "inside.md", "real.md"]
    reason = "not followed: a symlink to outside the folder"
    assert sorted(skipped) == [
        (str(folder / name), reason) for name in ("innocent.txt", "relative.txt")
    ]
    # The user can ask for them.
    everything = walk(str(folder), follow_symlinks_outside=True)
    assert [Path(e.path).name for e in everything] == [
        "dotdot.md",
        "innocent.txt",
        "inside.md",
        "real.md",
        "relative.txt",
    ]


@posix_only
def test_a_root_reached_through_a_symlink_keeps_its_own_links(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    article(real, "a.md", "A")
    (real / "b.md").symlink_to(real / "a.md")
    (tmp_path / "alias").symlink_to(real)
    assert [Path(e.path).name for e in walk(str(tmp_path / "alias"))] == ["a.md", "b.md"]


@posix_only
def test_the_secret_is_neither_searchable_nor_listed(tmp_path: Path, data_dir: Path) -> None:
    secret = article(tmp_path, "secret.txt", "Passwords of zanzibar")
    folder = tmp_path / "news"
    folder.mkdir()
    article(folder, "real.md", "A real article")
    (folder / "innocent.txt").symlink_to(secret)
    found = cli("search", folder, "zanzibar", "--json", data_dir=data_dir)
    assert found.returncode == 0 and "zanzibar" not in found.stdout.lower()
    problems = cli("problems", folder, data_dir=data_dir)
    assert "innocent.txt: not followed: a symlink to outside the folder" in problems.stdout


# -- item 9: names that are not UTF-8 ---------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["plain.md", "caf\u00e9.md", "\udcff.txt", "a\udcfe\udcc3b", "\ufffd", "\ud800x"],
)
def test_path_keys_are_utf8_and_reversible(name: str) -> None:
    path = "/news/" + name
    key = path_key(path)
    key.encode("utf-8")  # SQLite text must be valid UTF-8
    assert key_path(key) == path
    if "\x00" not in name and not re.search("[\ud800-\udfff]", name):
        assert key == path  # ordinary names are stored as they are


def test_path_keys_never_collide() -> None:
    names = ["/a/\udcff", "/a/FF", "/a/\\xff", "/a/\ufffd", "/a/\ufffdFF", "/a/\udcff\udcff"]
    assert len({path_key(n) for n in names}) == len(names)


@posix_only
def test_walk_gives_storable_keys_and_openable_paths(tmp_path: Path) -> None:
    bad_dir = os.path.join(os.fsencode(tmp_path), b"dir\xfe")
    os.mkdir(bad_dir)
    article(tmp_path, b"\xff.txt", "Bad name")
    article(Path(os.fsdecode(bad_dir)), b"inside.md", "In a bad folder")
    entries = list(walk(str(tmp_path)))
    assert len(entries) == 2
    for entry in entries:
        entry.path.encode("utf-8")
        assert key_path(entry.path) == entry.os_path
        assert Path(entry.os_path).read_text().startswith("---")


@posix_only
@pytest.mark.parametrize("root_name", [b"news", b"news\xff"])
def test_commands_survive_names_that_are_not_utf8(
    root_name: bytes, tmp_path: Path, data_dir: Path
) -> None:
    root = os.path.join(os.fsencode(tmp_path), root_name)
    os.mkdir(root)
    os.mkdir(os.path.join(root, b"sub\xfe"))
    folder = Path(os.fsdecode(root))
    article(folder, b"good.md", "Good article")
    article(folder, b"\xff.md", "Bad name article")
    article(folder, b"sub\xfe/x.md", "In a bad folder")
    open(os.path.join(root, b"empty\xfd.txt"), "wb").close()  # a problem with a bad name
    for command in ("index", "list", "problems"):
        result = cli(command, folder, data_dir=data_dir)
        assert result.returncode == 0, (command, result.stderr)
        assert not RAW.search(result.stdout + result.stderr), (command, result.stdout)
    listed = cli("list", folder, data_dir=data_dir).stdout
    assert all(t in listed for t in ("Good article", "Bad name article", "In a bad folder"))
    found = cli("search", folder, "article", "--json", data_dir=data_dir)
    assert found.returncode == 0 and "\\xff.md" in found.stdout
    problems = cli("problems", folder, data_dir=data_dir).stdout
    assert "empty\\xfd.txt: empty file" in problems


# -- item 15: a path longer than PATH_MAX -----------------------------------------------------------


@posix_only
def test_a_path_too_long_for_the_system_is_listed(tmp_path: Path) -> None:
    article(tmp_path, "ok.md", "Fine")
    fd = os.open(tmp_path, os.O_RDONLY)
    depth = 0
    try:
        while depth * 200 < 4200:  # past PATH_MAX (4096) on Linux
            os.mkdir("d" * 199, dir_fd=fd)
            inner = os.open("d" * 199, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd, depth = inner, depth + 1
        with os.fdopen(os.open("deep.md", os.O_WRONLY | os.O_CREAT, dir_fd=fd), "w") as handle:
            handle.write(ARTICLE.format(title="Deep"))
    finally:
        os.close(fd)
    skipped: list[tuple[str, str]] = []
    assert [Path(e.path).name for e in walk(str(tmp_path), skipped)] == ["ok.md"]
    assert len(skipped) == 1, skipped
    assert skipped[0][1] == "not read: path too long for the system"
    assert len(skipped[0][0]) > 4096


# -- item 11: names that carry terminal controls ----------------------------------------------------

HOSTILE_NAMES = [
    "\x1b]0;PWNED\x07title.md",
    "\x1b[2J\x1b[Hclear.md",
    "evil\u202etxt.md",
    "two\nlines: not an article.md",
    "tab\there.md",
    "cr\rover.md",
]


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=repr)
def test_display_path_shows_controls_as_escapes(name: str) -> None:
    shown = display_path("/news/" + name)
    assert not RAW.search(shown) and "\t" not in shown, repr(shown)
    assert shown.isprintable()


@posix_only
def test_problems_cannot_forge_lines_or_set_the_title(tmp_path: Path, data_dir: Path) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    for name in HOSTILE_NAMES:
        (folder / name).write_bytes(b"")  # each one an empty file: a problem
    result = cli("problems", folder, data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == len(HOSTILE_NAMES), lines
    assert not RAW.search(result.stdout) and "\t" not in result.stdout, result.stdout
    assert f"{display_path(str(folder / HOSTILE_NAMES[0]))}: empty file" in lines
    assert "\\x1b]0;PWNED\\x07title.md: empty file" in result.stdout
