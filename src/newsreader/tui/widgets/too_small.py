"""A message in place of the panes when the terminal is too small to show them readably."""

from __future__ import annotations

from textual.content import Content
from textual.geometry import Size
from textual.widgets import Static

#: The smallest terminal the three panes stay readable in (columns, rows).
MIN_WIDTH, MIN_HEIGHT = 60, 15


class TooSmall(Static):
    """Says how big the terminal must be. Hidden unless its screen has the ``-tiny`` class,
    which ``fit`` sets; the stylesheet then hides the panes."""

    def fit(self, size: Size) -> bool:
        """Show the message if ``size`` is below the minimum; return whether it is."""
        tiny = size.width < MIN_WIDTH or size.height < MIN_HEIGHT
        self.screen.set_class(tiny, "-tiny")
        if tiny:
            self.update(
                Content(
                    f"newsreader needs at least {MIN_WIDTH}×{MIN_HEIGHT}; "
                    f"this terminal is {size.width}×{size.height}"
                )
            )
        return tiny
