"""Every command, declared once: its id, keys, label, help text, the pane it belongs to and what
it needs to run.

Bindings, footer hints, the help screen, the command palette and ``check_action`` all come from
this table, and ids make every key remappable from the config (Textual's ``set_keymap``).
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
    #: What it needs to run: ``"article"`` (one shown or under the cursor), ``"query"`` (a
    #: search in the list) or nothing; ``check_action`` reads it.
    needs: str = ""
    #: The config setting it needs before the palette offers it (its key still runs, to say so).
    setting: str = ""
    #: Run by the app before the key is passed on (see ``search``).
    priority: bool = False

    def binding(self) -> Binding:
        """The Textual binding, with its id so the keymap can remap it."""
        return Binding(
            self.keys,
            self.action,
            self.label,
            show=self.show,
            tooltip=self.help,
            id=self.id,
            priority=self.priority,
        )


COMMANDS: tuple[Command, ...] = (
    Command("quit", "q", "Quit", "Quit newsreader", "app.quit", show=True),
    Command("help", "question_mark", "Help", "Show every key, searchable", "help", show=True),
    Command(
        "search",
        "slash",
        "Search",
        "Filter as you type; Enter searches the whole library",
        "search",
        show=True,
        # The app hands each key to the focused widget's queue before the next key is read: a
        # word typed in the same burst as / would reach the list before / opened the box. A
        # priority binding runs in the app's own turn, so the box has focus for the next key.
        priority=True,
    ),
    Command(
        "next_unread",
        "n",
        "Next unread",
        "Open the next unread article (wraps)",
        "next_unread",
        "Articles",
    ),
    Command(
        "prev_unread",
        "N",
        "Prev unread",
        "Open the previous unread article (wraps)",
        "prev_unread",
        "Articles",
    ),
    Command(
        "next_article",
        "J",
        "Next article",
        "Open the next article in the list, read or not",
        "next_article",
        "Articles",
    ),
    Command(
        "prev_article",
        "K",
        "Prev article",
        "Open the previous article in the list, read or not",
        "prev_article",
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
        needs="article",
    ),
    Command(
        "star",
        "s",
        "Star",
        "Star or unstar the current article",
        "toggle_star",
        "Articles",
        show=True,
        needs="article",
    ),
    Command(
        "open_original",
        "o",
        "Open",
        "Open the original URL in the browser",
        "open_original",
        "Reader",
        show=True,
        needs="article",
    ),
    Command(
        "copy_url",
        "y",
        "Copy URL",
        "Copy the article's URL to the clipboard",
        "copy_url",
        "Reader",
        needs="article",
    ),
    Command(
        "follow_link",
        "f",
        "Follow link",
        "Follow a numbered link or image of the body",
        "follow_link",
        "Reader",
        needs="article",
        # As for search: the prompt must be up before the digits typed with f are read.
        priority=True,
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
        "fetch_feeds", "R", "Fetch feeds", "Fetch every feed of the folder", "fetch_feeds", "Feeds"
    ),
    Command(
        "subscribe",
        "plus",
        "Subscribe to a feed…",
        "Subscribe the folder to a feed (its URL, or a page that announces one)",
        "subscribe",
        "Feeds",
    ),
    Command(
        "save_link",
        "w",
        "Save to library",
        "Save the highlighted ↗ web link's page into the library",
        "save_link",
        "Related",
        palette=False,
    ),
    Command(
        "save_search",
        "S",
        "Save search",
        "Save the current search as a virtual topic",
        "save_search",
        "Articles",
        needs="query",
    ),
    Command(
        "delete_search",
        "d,delete",
        "Delete saved search",
        "Delete the saved search highlighted in the tree (or shown), after asking",
        "delete_search",
        "Saved searches",
        priority=True,  # as f: the prompt is up before the keys typed with it
    ),
    Command(
        "rename_search",
        "c",
        "Rename saved search",
        "Rename the saved search highlighted in the tree (or shown)",
        "rename_search",
        "Saved searches",
        priority=True,  # as f: the prompt is up before the keys typed with it
    ),
    Command(
        "mark_all_read",
        "A",
        "Mark all read",
        "Mark every article in the list read",
        "mark_all_read",
        "Articles",
    ),
    Command(
        "mark_below_read",
        "M",
        "Mark below read",
        "Mark the article under the cursor and every one below it in the list read",
        "mark_below_read",
        "Articles",
        needs="article",
    ),
    Command(
        "undo_mark",
        "U",
        "Undo bulk mark",
        "Make the articles the last A or M made read unread again",
        "undo_mark",
        "Articles",
    ),
    Command(
        "sort",
        "O",
        "Sort",
        "Order the lists: newest, oldest, title, source or unread first (remembered)",
        "sort",
        "Articles",
        priority=True,  # its prompt must be up before the keys typed with O
    ),
    Command(
        "edit_config",
        "C",
        "Edit config",
        "Edit the config in $EDITOR; applied when it ends",
        "edit_config",
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
        "pager",
        "v",
        "Pager",
        "Read the article's text in $PAGER (less by default)",
        "view_in_pager",
        "Reader",
        needs="article",
    ),
    Command(
        "pipe",
        "vertical_line",
        "Pipe",
        "Pipe the article's text to the config's pipe_command (pipe_in_terminal: it gets the"
        " terminal)",
        "pipe",
        "Reader",
        needs="article",
        setting="pipe_command",
    ),
    Command(
        "unread_only",
        "u",
        "Unread only",
        "Show only unread articles (toggle)",
        "toggle_unread_only",
        "Articles",
    ),
    # Last of the "Anywhere" group: the help screen lists it after the others.
    Command(
        "back",
        "escape",
        "Back",
        "Leave the search or the zoom; back to where you were",
        "escape",
        palette=False,
    ),
)

#: Bindings of the reader itself: with the reader focused they come before the screen's (``/``
#: finds in the article instead of searching the list; ``n``/``N`` move between its hits, and
#: fall through to next/previous unread when there are none).
READER_COMMANDS: tuple[Command, ...] = (
    Command(
        "reader_find",
        "slash",
        "Find",
        "Find text in the article (when the reader has focus)",
        "find",
        "Reader",
        palette=False,
    ),
    Command(
        "reader_find_next",
        "n",
        "Next hit",
        "Next hit of the find",
        "find_next(1)",
        "Reader",
        palette=False,
    ),
    Command(
        "reader_find_prev",
        "N",
        "Previous hit",
        "Previous hit of the find",
        "find_next(-1)",
        "Reader",
        palette=False,
    ),
)

#: Enter in the article list (a binding of the list widget, not of the screen).
OPEN_ROW = Command(
    "list_open", "enter", "Open", "", "open", "Article list", show=True, palette=False
)

#: What each action needs (see ``Command.needs``), for ``check_action``.
NEEDS = {c.action: c.needs for c in COMMANDS if c.needs}


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
    Move("list_half_down", "ctrl+d", "Half page down"),
    Move("list_half_up", "ctrl+u", "Half page up"),
)


def move_bindings(actions: dict[str, str]) -> list[BindingType]:
    """Bindings for the moves a widget supports: ``actions`` maps a move id to its action."""
    return [
        Binding(m.keys, actions[m.id], m.label, show=False, id=m.id)
        for m in MOVES
        if m.id in actions
    ]


def bindings() -> list[BindingType]:
    """Textual bindings for every command, each with its id so the keymap can remap it."""
    return [c.binding() for c in COMMANDS]


def binding_ids() -> set[str]:
    """Every binding id the keymap may name."""
    commands = (*COMMANDS, *READER_COMMANDS)
    return {c.id for c in commands} | {m.id for m in MOVES} | {OPEN_ROW.id}


def theme_names() -> list[str]:
    """Textual's built-in themes, the names ``theme =`` may take."""
    from textual.theme import BUILTIN_THEMES

    return sorted(BUILTIN_THEMES)
