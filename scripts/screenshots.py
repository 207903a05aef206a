"""Regenerate the SVG screenshots in screenshots/ from the seeds (run: python scripts/screenshots.py)."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path

from newsreader.library.library import Library
from newsreader.tui.app import NewsReaderApp

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "screenshots"

#: (file name, terminal size, keys pressed after the first paint)
SHOTS: list[tuple[str, tuple[int, int], list[str]]] = [
    ("main-120x40.svg", (120, 40), ["j", "j", "j", "enter"]),
    ("main-80x24.svg", (80, 24), ["j", "j", "j", "enter"]),
    ("frontmatter-only.svg", (120, 40), ["g", "j", "enter"]),
    ("search.svg", (120, 40), ["slash", *"neighborhoods", "enter"]),
    ("related-local.svg", (120, 40), ["g", "j", "enter", "tab", "down", "down", "down"]),
    ("help.svg", (120, 40), ["question_mark"]),
    ("zoom.svg", (120, 40), ["j", "j", "j", "j", "enter", "z"]),
    ("find-in-article.svg", (120, 40), ["j", "j", "j", "z", "slash", *"facial", "enter", "n"]),
    ("sort.svg", (120, 40), ["O", "j", "j"]),
    ("too-small.svg", (50, 12), []),
]


async def shoot(name: str, size: tuple[int, int], keys: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "seeds"
        shutil.copytree(ROOT / "seeds", folder)
        library = Library.open(folder, Path(tmp) / "data")
        library.sync()
        app = NewsReaderApp(library, sync_on_start=False)
        async with app.run_test(size=size) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            for key in keys:
                await pilot.press(key)
                await app.workers.wait_for_complete()
                await pilot.pause()
            await pilot.pause(0.2)
            app.save_screenshot(name, str(OUT))
        library.close()


async def main() -> None:
    OUT.mkdir(exist_ok=True)
    for name, size, keys in SHOTS:
        await shoot(name, size, keys)
        print(OUT / name)


if __name__ == "__main__":
    asyncio.run(main())
