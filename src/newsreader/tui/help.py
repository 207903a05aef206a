"""The help screen's rows: every command of the table, the moves every pane shares, and the keys
Textual owns, each with the key it has after the config's remapping."""

from __future__ import annotations

from collections.abc import Mapping

from newsreader.tui.commands import COMMANDS, MOVES, OPEN_ROW, READER_COMMANDS
from newsreader.tui.screens.modals import HelpRow

#: The help screen's group for the moves every pane shares.
PANES = "List, tree and related pane"
PALETTE_HELP = "Jump to an article, topic or source; run any command"
#: Keys Textual owns (no id: the config cannot remap them).
TEXTUAL_KEYS = (
    HelpRow("Anywhere", "", "tab", "Next pane", "Move focus to the next pane"),
    HelpRow("Anywhere", "", "shift+tab", "Previous pane", "Move focus to the previous pane"),
    HelpRow("Anywhere", "", "ctrl+p", "Commands", PALETTE_HELP),
)
#: The order of the groups on the screen.
GROUPS = {"Anywhere": 0, PANES: 1, "Article list": 2, "Articles": 3, "Reader": 4}


def help_rows(keymap: Mapping[str, str]) -> list[HelpRow]:
    """Every row of the help screen, grouped; ``keymap`` is the config's id -> keys remapping."""
    rows = [
        HelpRow(c.group, c.id, keymap.get(c.id, c.keys), c.label, c.help)
        for c in (*COMMANDS, *READER_COMMANDS)
    ]
    rows += [
        HelpRow(PANES, m.id, keymap.get(m.id, m.keys), m.label, "Move in the focused pane")
        for m in MOVES
    ]
    rows.append(
        HelpRow(OPEN_ROW.group, OPEN_ROW.id, keymap.get(OPEN_ROW.id, OPEN_ROW.keys), "Open", "")
    )
    rows += TEXTUAL_KEYS
    rows.sort(key=lambda r: GROUPS.get(r.group, 9))
    return rows
