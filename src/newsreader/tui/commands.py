"""Every command, declared once: its id, keys, label, help text and the pane it belongs to.

Bindings, footer hints, the help screen and the command palette are all generated from this
table, and ids make every key remappable from the config (Textual's ``set_keymap``).
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding, BindingType


@dataclass(frozen=True)
class Command:
    """One user command."""

    id: str
    keys: str
    label: str
    help: str
    action: str
    group: str = "Anywhere"
    show: bool = False
    #: Offered in the command palette.
    palette: bool = True


COMMANDS: tuple[Command, ...] = (
    Command("quit", "q", "Quit", "Quit newsreader", "quit", show=True),
    Command("help", "question_mark", "Help", "Show every key, searchable", "help", show=True),
    Command(
        "search",
        "slash",
        "Search",
        "Filter as you type; Enter searches the whole library",
        "search",
        show=True,
    ),
    Command(
        "next_unread", "n", "Next unread", "Open the next unread article", "next_unread", "Articles"
    ),
    Command(
        "prev_unread",
        "N",
        "Prev unread",
        "Open the previous unread article",
        "prev_unread",
        "Articles",
    ),
    Command(
        "toggle_read",
        "m",
        "Read/unread",
        "Toggle read on the current article",
        "toggle_read",
        "Articles",
        show=True,
    ),
    Command(
        "star",
        "s",
        "Star",
        "Star or unstar the current article",
        "toggle_star",
        "Articles",
        show=True,
    ),
    Command(
        "open_original",
        "o",
        "Open",
        "Open the original URL in the browser",
        "open_original",
        "Reader",
        show=True,
    ),
    Command(
        "copy_url", "y", "Copy URL", "Copy the article's URL to the clipboard", "copy_url", "Reader"
    ),
    Command(
        "follow_link",
        "f",
        "Follow link",
        "Follow a numbered link or image of the body",
        "follow_link",
        "Reader",
    ),
    Command(
        "page_down",
        "space",
        "Page/next",
        "Page the reader; at its end, go to the next article",
        "page_reader",
        "Reader",
        palette=False,
    ),
    Command(
        "zoom",
        "z",
        "Zoom",
        "Give the reader the whole screen (again to go back)",
        "zoom",
        "Reader",
        show=True,
    ),
    Command("rescan", "r", "Rescan", "Rescan the folder for new and changed files", "rescan"),
    Command(
        "save_search",
        "S",
        "Save search",
        "Save the current search as a virtual topic",
        "save_search",
        "Articles",
    ),
    Command(
        "mark_all_read",
        "A",
        "Mark all read",
        "Mark every article in the list read",
        "mark_all_read",
        "Articles",
    ),
    Command("problems", "P", "Problems", "Files that were skipped, and why", "problems"),
    Command(
        "export",
        "e",
        "Export",
        "Save the article (or, from the list, the whole list) as Markdown",
        "export",
        "Articles",
    ),
    Command(
        "pipe",
        "vertical_line",
        "Pipe",
        "Pipe the article's text to the config's pipe_command",
        "pipe",
        "Reader",
    ),
    Command(
        "unread_only",
        "u",
        "Unread only",
        "Show only unread articles (toggle)",
        "toggle_unread_only",
        "Articles",
    ),
)


@dataclass(frozen=True)
class Move:
    """A cursor move. The list, the topic tree and the related pane share these ids, so one
    keymap line remaps the key in every pane; each widget names its own action for it."""

    id: str
    keys: str
    label: str


MOVES: tuple[Move, ...] = (
    Move("list_down", "j,down", "Down"),
    Move("list_up", "k,up", "Up"),
    Move("list_first", "g,home", "First"),
    Move("list_last", "G,end", "Last"),
    Move("list_page_down", "pagedown", "Page down"),
    Move("list_page_up", "pageup", "Page up"),
)


def move_bindings(actions: dict[str, str]) -> list[BindingType]:
    """Bindings for the moves a widget supports: ``actions`` maps a move id to its action."""
    return [
        Binding(m.keys, actions[m.id], m.label, show=False, id=m.id)
        for m in MOVES
        if m.id in actions
    ]


def bindings() -> list[Binding]:
    """Textual bindings for every command, each with its id so the keymap can remap it."""
    return [
        Binding(c.keys, c.action, c.label, show=c.show, tooltip=c.help, id=c.id) for c in COMMANDS
    ]


def by_action(action: str) -> Command | None:
    """The command behind an action name."""
    return next((c for c in COMMANDS if c.action == action), None)


#: Bindings outside the command table: Escape (the app) and Enter (the list).
OTHER_IDS = ("back", "list_open")


def binding_ids() -> set[str]:
    """Every binding id the keymap may name."""
    return {c.id for c in COMMANDS} | {m.id for m in MOVES} | set(OTHER_IDS)


def theme_names() -> list[str]:
    """Textual's built-in themes, the names ``theme =`` may take."""
    from textual.theme import BUILTIN_THEMES

    return sorted(BUILTIN_THEMES)
