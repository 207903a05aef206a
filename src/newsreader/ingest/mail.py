"""Newsletters saved as mail: ``.eml`` messages, ``.mhtml`` pages, mbox files and Maildir files.

A message is told by its header block, never by its extension. Its Subject is the title, its
From the provider, its Date the date, and its HTML part (else its text part) the body, decoded
from quoted-printable or base64 in the part's own charset. Parsing is the standard library's
``email`` package; an mbox file holds many messages, split on its ``From `` lines.
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import re
from dataclasses import dataclass
from email.message import EmailMessage

#: Headers that only mail has; a header block needs two of them (a config file has none).
_MAIL_HEADERS = frozenset(
    ("from", "to", "subject", "date", "message-id", "mime-version", "received", "return-path")
)
_HEADER = re.compile(r"([A-Za-z][A-Za-z0-9-]{0,60}):[ \t]")
#: An mbox message starts with a ``From `` line: sender, then the date it was delivered.
_MBOX_FROM = re.compile(r"^From \S+ .{0,200}$", re.M)
MAX_MESSAGES = 10_000


@dataclass(slots=True)
class Message:
    """What an article needs of one message."""

    subject: str
    sender: str
    domain: str
    date: str
    body: str
    is_html: bool


def is_mail(head: str) -> bool:
    """A header block at the start with two mail-only headers, or an mbox ``From `` line."""
    if head.startswith("From ") and _MBOX_FROM.match(head):
        return True
    names = set()
    for line in head.split("\n", 60)[:60]:
        if not line.strip():
            break
        if line[:1] in " \t":
            continue  # a folded header's next line
        match = _HEADER.match(line)
        if match is None:
            return False
        names.add(match.group(1).lower())
    return len(names & _MAIL_HEADERS) >= 2


def messages(text: str) -> list[Message]:
    """Every message of ``text``: one for a message file, each one of an mbox."""
    if text.startswith("From ") and _MBOX_FROM.match(text):
        starts = [m.start() for m in _MBOX_FROM.finditer(text)][:MAX_MESSAGES]
        chunks = [text[a:b] for a, b in zip(starts, [*starts[1:], len(text)], strict=True)]
        # the ``From `` line is the mbox's, not the message's
        return [_message(chunk.partition("\n")[2]) for chunk in chunks]
    return [_message(text)]


def _message(text: str) -> Message:
    msg = email.message_from_string(text, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    name, address = email.utils.parseaddr(str(msg.get("From", "")))
    part = msg.get_body(preferencelist=("html", "plain"))
    body, is_html = "", False
    if part is not None:
        try:
            content = part.get_content()
        except (LookupError, ValueError, AssertionError):  # an unknown charset, a broken part
            payload = part.get_payload(decode=True)
            content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
        body = content if isinstance(content, str) else ""
        is_html = part.get_content_subtype() == "html"
    return Message(
        subject=str(msg.get("Subject", "")),
        sender=name or address,
        domain=address.rpartition("@")[2].lower(),
        date=str(msg.get("Date", "")),
        body=body,
        is_html=is_html,
    )
