"""Write constraints.txt: the exact version of every package the project installs.

Run it from the environment CI should reproduce (``.venv/bin/python scripts/freeze_constraints.py``).
It walks the requirements of ``newsreader-tui[test]`` as installed here, so it pins what the
project brings in and nothing else that happens to sit in the environment.
"""

from __future__ import annotations

import importlib.metadata as metadata
import re
import sys
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
HEADER = (
    "# Exact versions for CI and the snapshot tests (pyproject.toml declares ranges).\n"
    "# Regenerate with: .venv/bin/python scripts/freeze_constraints.py\n"
)


def _key(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def closure(root: str, extras: set[str]) -> dict[str, str]:
    """Name -> installed version for ``root`` and everything it requires, transitively."""
    found: dict[str, str] = {}
    todo: list[tuple[str, set[str]]] = [(root, extras)]
    while todo:
        name, wanted = todo.pop()
        dist = metadata.distribution(name)
        key = _key(dist.metadata["Name"])
        if key in found and not wanted:
            continue
        found[key] = dist.version
        for text in dist.requires or []:
            req = Requirement(text)
            env = {"extra": ""}
            active = req.marker is None or any(
                req.marker.evaluate({**env, "extra": e}) for e in (wanted or {""})
            )
            if active:
                todo.append((req.name, set(req.extras)))
    found.pop(_key(root))
    return found


def main() -> int:
    """Write constraints.txt beside pyproject.toml."""
    pins = closure("newsreader-tui", {"test"})
    lines = [f"{name}=={version}" for name, version in sorted(pins.items())]
    (ROOT / "constraints.txt").write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(lines)} pins to constraints.txt", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
