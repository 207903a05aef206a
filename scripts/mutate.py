"""Mutation testing: small deliberate bugs put into a copy of the code, and the tests that should
notice them run against each. A mutant that no test fails on "survives": a behaviour no test pins.

    python scripts/mutate.py                      # every target, every mutant
    python scripts/mutate.py --max 40 --seed 1    # a sample of 40 mutants per target
    python scripts/mutate.py --only urls          # targets whose module path contains 'urls'

Each mutant changes one node of the module's syntax tree: a comparison flipped (``==``/``!=``,
``<``/``>=``, ``in``/``not in``, ``is``/``is not``), ``and``/``or`` swapped, a ``not`` dropped, a
boolean constant flipped, an integer constant moved by one, or an ``if`` condition negated. The
tests run in a subprocess with the mutated copy first on ``PYTHONPATH`` (so the installed command
loads it too), stopping at the first failure. Not part of CI: a full run takes tens of minutes.
"""

from __future__ import annotations

import argparse
import ast
import os
import random
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: Module -> the test files that own its behaviour.
TARGETS: dict[str, list[str]] = {
    "src/newsreader/ingest/urls.py": ["tests/test_urls.py", "tests/test_hostile_urls.py"],
    "src/newsreader/ingest/sanitize.py": ["tests/test_sanitize.py", "tests/test_hostile_paths.py"],
    "src/newsreader/library/query.py": ["tests/test_query.py", "tests/test_views.py"],
    "src/newsreader/library/views.py": [
        "tests/test_views.py",
        "tests/test_query.py",
        "tests/test_mutants.py",
    ],
    "src/newsreader/library/grouping.py": [
        "tests/test_stories.py",
        "tests/test_series.py",
        "tests/test_mutants.py",
    ],
    "src/newsreader/ingest/textdump.py": [
        "tests/test_clean.py",
        "tests/test_load.py",
        "tests/test_mutants.py",
    ],
}

_FLIP: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Lt: ast.GtE,
    ast.GtE: ast.Lt,
    ast.Gt: ast.LtE,
    ast.LtE: ast.Gt,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}


def _sites(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(index of the node in ast.walk order, what the mutation does) for each mutable node."""
    for index, node in enumerate(ast.walk(tree)):
        if isinstance(node, ast.Compare) and type(node.ops[0]) in _FLIP:
            yield index, f"line {node.lineno}: flip {type(node.ops[0]).__name__}"
        elif isinstance(node, ast.BoolOp):
            yield index, f"line {node.lineno}: swap and/or"
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            yield index, f"line {node.lineno}: drop not"
        elif isinstance(node, ast.Constant) and isinstance(node.value, bool):
            yield index, f"line {node.lineno}: flip {node.value}"
        elif isinstance(node, ast.Constant) and type(node.value) is int and hasattr(node, "lineno"):
            yield index, f"line {node.lineno}: {node.value} -> {node.value + 1}"
        elif isinstance(node, ast.If):
            yield index, f"line {node.lineno}: negate if"


def _mutate(source: str, site: int) -> str:
    """The module's source with the node at ``site`` (ast.walk order) mutated."""
    tree = ast.parse(source)
    for index, node in enumerate(ast.walk(tree)):
        if index != site:
            continue
        if isinstance(node, ast.Compare):
            node.ops[0] = _FLIP[type(node.ops[0])]()
        elif isinstance(node, ast.BoolOp):
            node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        elif isinstance(node, ast.UnaryOp):
            return _replace(tree, node, node.operand)
        elif isinstance(node, ast.Constant) and isinstance(node.value, bool):
            node.value = not node.value
        elif isinstance(node, ast.Constant):
            node.value = node.value + 1
        elif isinstance(node, ast.If):
            node.test = ast.UnaryOp(op=ast.Not(), operand=node.test)
        break
    return ast.unparse(ast.fix_missing_locations(tree))


def _replace(tree: ast.AST, old: ast.AST, new: ast.AST) -> str:
    """``tree`` with ``old`` replaced by ``new`` wherever a parent holds it."""
    for parent in ast.walk(tree):
        for field, value in ast.iter_fields(parent):
            if value is old:
                setattr(parent, field, new)
            elif isinstance(value, list):
                for i, item in enumerate(value):
                    if item is old:
                        value[i] = new
    return ast.unparse(ast.fix_missing_locations(tree))


def _killed(copy: Path, tests: list[str], timeout: float) -> bool:
    """True if the tests fail (or hang) against the copy in ``copy``."""
    env = {**os.environ, "PYTHONPATH": str(copy / "src")}
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests]
    try:
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return True
    return done.returncode != 0


def main() -> int:
    """Run the mutants and print each survivor and the survival rate per target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max", type=int, default=0, help="mutants per target (0: all)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the sample")
    parser.add_argument("--only", default="", help="targets whose path contains this")
    parser.add_argument("--timeout", type=float, default=300, help="seconds per test run")
    args = parser.parse_args()
    total_run = total_survived = 0
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp)
        shutil.copytree(ROOT / "src", copy / "src")
        for module, tests in TARGETS.items():
            if args.only not in module:
                continue
            source = (ROOT / module).read_text(encoding="utf-8")
            sites = list(_sites(ast.parse(source)))
            if args.max and len(sites) > args.max:
                sites = sorted(random.Random(args.seed).sample(sites, args.max))
            target = copy / module
            survived = []
            for site, what in sites:
                target.write_text(_mutate(source, site), encoding="utf-8")
                if not _killed(copy, tests, args.timeout):
                    survived.append(what)
                    print(f"  survived {module} {what}", flush=True)
            target.write_text(source, encoding="utf-8")
            rate = len(survived) / len(sites) if sites else 0.0
            print(f"{module}: {len(sites)} mutants, {len(survived)} survived ({rate:.0%})")
            total_run += len(sites)
            total_survived += len(survived)
    if total_run:
        print(
            f"all: {total_run} mutants, {total_survived} survived ({total_survived / total_run:.0%})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
