"""The topic tree: All, Unread, Starred, topics, sources and saved searches, with counts."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from rich.text import Text
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from newsreader.model import Counts, View
from newsreader.tui.commands import move_bindings

MAX_NODES = 2000


@dataclass
class TreeData:
    """What the tree hands the screen: the view, and the name of it for the title bar."""

    view: View
    name: str


@dataclass(frozen=True)
class TreeContents:
    """Everything the tree shows: totals, topics, sources, saved searches, and extra branches
    (the stories) as (title, [(label, data)])."""

    totals: dict[str, int]
    topics: list[Counts]
    sources: list[Counts]
    saved: list[tuple[str, str]]
    extra: list[tuple[str, list[tuple[str, TreeData]]]] = field(default_factory=list)


class TopicTree(Tree[TreeData]):
    """Where to look: a view per node. Labels are plain text: names come from untrusted files."""

    BINDINGS = move_bindings(
        {
            "list_down": "cursor_down",
            "list_up": "cursor_up",
            "list_first": "scroll_home",
            "list_last": "scroll_end",
            "list_page_down": "page_down",
            "list_page_up": "page_up",
        }
    )

    @dataclass
    class ViewChosen(Message):
        """A node was selected."""

        data: TreeData

    #: What the tree shows; the screen binds it (``data_bind``) and the tree rebuilds on change.
    contents: reactive[TreeContents | None] = reactive(None, always_update=True)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("Library", id=id)
        self.show_root = False
        self.guide_depth = 2

    def process_label(self, label: str | Text) -> Text:
        text = Text(label) if isinstance(label, str) else label
        return text.split()[0] if text.plain else text

    def watch_contents(self, contents: TreeContents | None) -> None:
        if contents is not None:
            self.fill(contents)

    def nodes(self) -> Iterator[TreeNode[TreeData]]:
        """Every node below the root, branches and leaves (the tree is two levels deep)."""
        for node in self.root.children:
            yield node
            yield from node.children

    def fill(self, contents: TreeContents) -> None:
        """Rebuild the tree, keeping the expanded branches and the cursor where they were."""
        totals, topics, sources = contents.totals, contents.topics, contents.sources
        expanded = {str(n.label) for n in self.nodes() if n.is_expanded}
        selected = (
            self.cursor_node.data.name if self.cursor_node and self.cursor_node.data else "All"
        )
        self.clear()
        root = self.root
        root.add_leaf(self._label("All", totals["all"], totals["unread"]), TreeData(View(), "All"))
        root.add_leaf(
            self._label("Unread", totals["unread"]), TreeData(View(unread=True), "Unread")
        )
        root.add_leaf(
            self._label("Starred", totals["starred"]), TreeData(View(starred=True), "Starred")
        )
        groups: list[tuple[str, list[tuple[str, TreeData]]]] = [
            *contents.extra,
            (
                "Topics",
                [
                    (
                        self._label(c.name, c.total, c.unread),
                        TreeData(View(topic=c.name), f"Topic: {c.name}"),
                    )
                    for c in topics[:MAX_NODES]
                ],
            ),
            (
                "Sources",
                [
                    (
                        self._label(c.name, c.total, c.unread),
                        TreeData(View(source=c.name), f"Source: {c.name}"),
                    )
                    for c in sources[:MAX_NODES]
                ],
            ),
            (
                "Saved searches",
                [
                    (self._label(name), TreeData(View(query=query), f"Search: {name}"))
                    for name, query in contents.saved
                ],
            ),
        ]
        for title, entries in groups:
            if not entries:
                continue
            branch = root.add(
                Text(f"{title} ({len(entries)})"),
                None,
                expand=title.startswith(("Stories", "Topics", "Saved searches"))
                or any(label.startswith(title) for label in expanded),
            )
            for label, data in entries:
                branch.add_leaf(label, data)
        for node in self.nodes():
            if node.data is not None and node.data.name == selected:
                self.move_cursor(node)
                break

    @staticmethod
    def _label(name: str, total: int | None = None, unread: int | None = None) -> str:
        if total is None:
            return name
        if unread is None:
            return f"{name}  {total}"
        return f"{name}  {unread}/{total}"

    def on_tree_node_selected(self, event: Tree.NodeSelected[TreeData]) -> None:
        event.stop()
        if event.node.data is not None:
            self.post_message(self.ViewChosen(event.node.data))

    def node_named(self, name: str) -> TreeNode[TreeData] | None:
        """The node whose view has this name."""
        return next((n for n in self.nodes() if n.data and n.data.name == name), None)
