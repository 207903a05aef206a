"""Helpers for the hostile-input tests: write a file, load it in-process or in a child process,
and check that what came out is safe."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from newsreader.ingest.load import load_file
from newsreader.model import Article, Problem

#: ESC, other C0 controls but tab and newline, DEL, C1 controls, bidi embeddings/overrides/isolates.
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

#: Run in a child process: a segfault, a hang or a raise there fails the test, not the run.
_CHILD = """
import json, sys
from newsreader.ingest.load import load_file
result = load_file(sys.argv[1])
print(json.dumps({"type": type(result).__name__, "reason": getattr(result, "reason", ""),
                  "title": getattr(result, "title", "")}))
"""


def write(folder: Path, name: str, content: str | bytes) -> Path:
    """Write ``content`` (str as UTF-8) to ``folder/name`` and return the path."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def load(path: Path) -> Article | Problem:
    """``load_file``, checking that it returned an Article or a Problem with a reason."""
    result = load_file(str(path))
    assert isinstance(result, Article | Problem), result
    if isinstance(result, Problem):
        assert result.reason.strip(), result
        assert "Traceback" not in result.reason
    else:
        assert_safe(result)
    return result


def load_isolated(path: Path, timeout: float = 20) -> dict[str, str]:
    """Load ``path`` in a child process; fail on a crash, a hang or an exception."""
    try:
        proc = subprocess.run(
            [sys.executable, "-c", _CHILD, str(path)],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        raise AssertionError(f"loading {path.name} did not finish in {timeout} s") from None
    assert proc.returncode == 0, f"child exited with {proc.returncode}: {proc.stderr[-2000:]}"
    result: dict[str, str] = json.loads(proc.stdout)
    return result


def strings(value: Any) -> list[str]:
    """Every string inside an Article (or any nest of dataclasses, dicts and lists)."""
    if isinstance(value, str):
        return [value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [
            s for field in dataclasses.fields(value) for s in strings(getattr(value, field.name))
        ]
    if isinstance(value, dict):
        return [s for key, item in value.items() for s in strings(key) + strings(item)]
    if isinstance(value, list | tuple):
        return [s for item in value for s in strings(item)]
    return []


def assert_safe(article: Article) -> None:
    """No terminal-dangerous character in any string, and only http(s) URLs."""
    for text in strings(article):
        assert not UNSAFE.search(text), repr(text)
    for url in urls(article):
        assert url.startswith(("https://", "http://")), url
        assert url.isascii() and url.isprintable() and " " not in url, url
    json.dumps(article.to_json(with_body=True), allow_nan=False)


def urls(article: Article) -> list[str]:
    """Every URL an Article carries, empty ones left out."""
    found = [article.url, article.web_url, *(image.url for image in article.images)]
    found += [link.url for link in article.related]
    return [url for url in found if url]
