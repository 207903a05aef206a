"""Modal screens: help (searchable), problems, and the link number prompt."""

from __future__ import annotations

import os
from typing import NamedTuple, TypeVar, cast

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.events import Key
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from newsreader.ingest.sanitize import display_path
from newsreader.model import Problem

T = TypeVar("T")

#: Keys Textual spells out, shown the way people type them.
_KEY_NAMES = {
    "question_mark": "?",
    "slash": "/",
    "space": "Space",
    "enter": "Enter",
    "pagedown": "PgDn",
    "pageup": "PgUp",
    "tab": "Tab",
    "shift+tab": "Shift+Tab",
    "escape": "Esc",
    "ctrl+p": "Ctrl+P",
    "home": "Home",
    "end": "End",
    "down": "↓",
    "up": "↑",
    "vertical_line": "|",
}


class HelpRow(NamedTuple):
    """One line of the help screen. ``id`` is what the config's ``[keys]`` table names (empty
    for keys Textual owns, which cannot be remapped there)."""

    group: str
    id: str
    keys: str
    label: str
    help: str


def key_label(keys: str) -> str:
    """``"j,down"`` -> ``"j / ↓"``."""
    return " / ".join(_KEY_NAMES.get(k.strip(), k.strip()) for k in keys.split(","))


class HelpScreen(ModalScreen[None]):
    """Every binding with its current key and its id (for the config's ``[keys]``), grouped by
    pane; type to filter by group, key, id, label or help."""

    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close", id="help_close")]

    def __init__(self, rows: list[HelpRow]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box"):
            yield Static(
                Content.assemble(
                    ("Keys", "bold"),
                    (
                        "  type to search · Esc closes · remap by id in [keys] of the config",
                        "$text-muted",
                    ),
                )
            )
            yield Input(placeholder="search keys, ids and commands", id="help-filter")
            yield OptionList(id="help-list")

    def on_mount(self) -> None:
        self._fill("")

    def on_input_changed(self, event: Input.Changed) -> None:
        self._fill(event.value)

    def _fill(self, text: str) -> None:
        needle = text.lower().strip()
        options: list[Option | None] = []
        group = ""
        for row in self.rows:
            haystack = (
                f"{row.group} {row.keys} {key_label(row.keys)} {row.id} {row.label} {row.help}"
            )
            if needle and needle not in haystack.lower():
                continue
            if row.group != group:
                if options:
                    options.append(None)
                options.append(
                    Option(Content.assemble((row.group, "bold $text-accent")), disabled=True)
                )
                group = row.group
            options.append(
                Option(
                    Content.assemble(
                        (f"{key_label(row.keys):>12}  ", "bold $accent"),
                        (f"{row.label:<15}", "bold"),
                        (f" {row.id:<15}", "$text-secondary"),
                        (f" {row.help}", "$text-muted"),
                    )
                )
            )
        listing = self.query_one("#help-list", OptionList)
        listing.clear_options()
        listing.add_options(options or [Option(Content("No key matches."), disabled=True)])


class ProblemsScreen(ModalScreen[None]):
    """Files that were skipped, with the reason for each."""

    BINDINGS = [Binding("escape,q", "dismiss", "Close", id="problems_close")]

    def __init__(self, problems: list[Problem], folder: str = "") -> None:
        """``folder``: the library's folder; paths inside it are shown relative to it."""
        super().__init__()
        self.problems = problems
        self.folder = folder.rstrip(os.sep)

    def shown(self, path: str) -> str:
        inside = self.folder and path.startswith(self.folder + os.sep)
        return display_path(path[len(self.folder) + 1 :] if inside else path)

    def compose(self) -> ComposeResult:
        where = f" in {display_path(self.folder)}" if self.folder else ""
        with Vertical(id="problems-box"):
            yield Static(
                Content.assemble(
                    (f"Skipped files ({len(self.problems):,}){where}", "bold"),
                    ("  Esc closes", "$text-muted"),
                )
            )
            listing = OptionList(id="problems-list")
            for problem in self.problems[:5000]:
                listing.add_option(
                    Option(
                        Content.assemble(
                            (self.shown(problem.path), "bold"),
                            "\n",
                            (problem.reason, "$text-warning"),
                        )
                    )
                )
            if not self.problems:
                listing.add_option(
                    Option(Content("No problems: every file was read."), disabled=True)
                )
            yield listing


class _Prompt(ModalScreen[T]):
    """A one-line question. Keys typed in the same burst as the key that asked it reach the
    screen before its input has focus: they are kept and given to the input once it is there
    (Enter among them answers)."""

    def __init__(self) -> None:
        super().__init__()
        self._answered = False
        self._early = ""

    def takes(self, character: str) -> bool:
        """Whether a character typed early belongs in the input."""
        return character.isprintable()

    def on_key(self, event: Key) -> None:
        if isinstance(self.focused, Input):
            return  # the input has them (they bubble up here too)
        if event.key == "enter":
            self._early += "\n"
        elif event.character and self.takes(event.character):
            self._early += event.character
        else:
            return
        event.stop()
        if self.is_mounted:
            self._take_early()

    def on_mount(self) -> None:
        self._take_early()

    def _take_early(self) -> None:
        early, self._early = self._early, ""
        if not early:
            return
        box = self.query_one(Input)
        box.value += early.split("\n")[0]
        box.cursor_position = len(box.value)
        box.focus()
        if "\n" in early:
            self.answer(box.value)
        else:
            self.typed(box.value)

    def typed(self, value: str) -> None:
        """The input's value changed."""

    def answer(self, value: str) -> None:
        """Enter was pressed."""

    def on_input_changed(self, event: Input.Changed) -> None:
        self.typed(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.answer(event.value)

    def action_cancel(self) -> None:
        self._close(cast(T, None))  # every prompt's answer may be None: nothing chosen

    def _close(self, value: T) -> None:
        # Keys typed at once ("23", "99" Enter) reach the input after the first has answered
        # and before the screen is gone: a second dismiss would pop the main screen and crash.
        if not self._answered:
            self._answered = True
            self.dismiss(value)


class NumberPrompt(_Prompt[int | None]):
    """Ask for a link number after ``f``. A digit that no further digit could extend into a
    valid number (any digit when there are fewer than 10 links) follows at once; else Enter."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="prompt_cancel")]

    def __init__(self, count: int) -> None:
        super().__init__()
        self.count = count

    def compose(self) -> ComposeResult:
        how = "" if self.count < 10 else ", then Enter"
        with Vertical(id="prompt-box"):
            yield Static(Content(f"Follow which link? 1–{self.count}{how}"))
            yield Input(type="integer", id="prompt-input")

    def takes(self, character: str) -> bool:
        return character.isdigit()

    def typed(self, value: str) -> None:
        if value.isdigit() and int(value) * 10 > self.count:
            self.answer(value)

    def answer(self, value: str) -> None:
        number = int(value) if value.isdigit() else 0
        self._close(number if 1 <= number <= self.count else None)


class TextPrompt(_Prompt[str | None]):
    """Ask for a line of text (e.g. the name of a saved search, a word to find)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="text_prompt_cancel")]

    def __init__(self, question: str, value: str = "") -> None:
        super().__init__()
        self.question = question
        self.value = value

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt-box"):
            yield Static(Content(self.question))
            yield Input(value=self.value, id="prompt-input")

    def answer(self, value: str) -> None:
        self._close(value.strip() or None)


class ChoicePrompt(ModalScreen[str | None]):
    """Choose one of a few named values (e.g. the sort order): arrows or j/k, then Enter.

    The keys also work before the list is mounted (typed in one burst with the key that asked):
    the screen keeps the choice itself and only shows it in the list."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="choice_cancel"),
        Binding("j,down", "move(1)", show=False),
        Binding("k,up", "move(-1)", show=False),
        Binding("enter", "choose", show=False),
    ]

    def __init__(self, question: str, choices: list[tuple[str, str]], current: str = "") -> None:
        """``choices``: (value, label) pairs; ``current`` is highlighted first."""
        super().__init__()
        self.question = question
        self.choices = choices
        values = [value for value, _ in choices]
        self._index = values.index(current) if current in values else 0
        self._answered = False

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt-box"):
            yield Static(Content(self.question))
            options = OptionList(
                *(Option(Content(label), id=value) for value, label in self.choices),
                id="choice-list",
            )
            options.highlighted = self._index
            yield options

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._index = event.option_index

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self._close(event.option.id)

    def action_move(self, step: int) -> None:
        self._index = max(0, min(len(self.choices) - 1, self._index + step))
        for options in self.query(OptionList):
            options.highlighted = self._index

    def action_choose(self) -> None:
        self._close(self.choices[self._index][0])

    def action_cancel(self) -> None:
        self._close(None)

    def _close(self, value: str | None) -> None:
        if not self._answered:  # keys typed at once must not dismiss it twice
            self._answered = True
            self.dismiss(value)
