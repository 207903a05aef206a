"""The command line's slow parts, loaded only when asked: the shell completion script (shtab
takes longer to import than a cached ``list`` takes to answer) and ``--version`` (reading the
package metadata imports ``importlib.metadata`` and ``email``)."""

from __future__ import annotations

import argparse
from collections.abc import Callable

#: What a DIR or a FILE argument completes with (``action.complete``): names here, turned into
#: shtab's constants only when a script is written.
DIRECTORY, FILE = "directory", "file"


def script(parser: argparse.ArgumentParser, shell: str) -> str:
    """The completion script of ``parser`` for ``shell`` (shtab's names)."""
    import shtab

    kinds = {DIRECTORY: shtab.DIRECTORY, FILE: shtab.FILE}
    parsers = [parser]
    while parsers:
        for action in parsers.pop()._actions:
            if isinstance(action, argparse._SubParsersAction):
                parsers += action.choices.values()
            complete = getattr(action, "complete", None)
            if isinstance(complete, str) and complete in kinds:
                action.complete = kinds[complete]  # type: ignore[attr-defined]
    text: str = shtab.complete(parser, shell=shell)
    return text


def version_action(version: Callable[[], str]) -> type[argparse.Action]:
    """An argparse action that prints ``newsreader VERSION`` and exits, calling ``version``
    only then."""

    # argparse's own version action, so completion scripts treat it as one (zsh: exclusive).
    class Version(argparse._VersionAction):
        def __call__(self, parser: argparse.ArgumentParser, *_args: object) -> None:
            print(f"newsreader {version()}")
            parser.exit()

    return Version
