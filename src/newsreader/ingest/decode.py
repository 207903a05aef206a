"""Read untrusted files without blocking, tell text from binary, and decode bytes to text.

The folder being read may hold anything: FIFOs that would block a reader forever, symlinks to
``/dev/zero``, 30 MB dumps, images, UTF-16 exports from Windows tools, cp1252 files from old
CMSes. Every function here is total: ``read_capped`` refuses with an ``OSError``, the others
never raise.
"""

from __future__ import annotations

import codecs
import errno
import os
import re
import stat

MAX_BYTES: int = 4 * 1024 * 1024
#: How much of a file ``looks_binary`` and the BOM-less UTF-16 check look at.
SNIFF_BYTES = 8192
#: Above this share of control bytes (other than tab, newlines, form feed and ESC), it is binary.
#: Text has almost none; random or compressed data has about 10%.
MAX_CONTROL_SHARE = 0.05

_BOMS = (
    # UTF-32 first: its little-endian BOM starts with the UTF-16 one.
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

_MAGIC = (
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",  # JPEG
    b"GIF87a",
    b"GIF89a",
    b"%PDF-",
    b"PK\x03\x04",  # ZIP, and so docx, epub, jar, odt
    b"PK\x05\x06",  # empty ZIP
    b"PK\x07\x08",  # spanned ZIP
    b"\x1f\x8b",  # gzip
    b"BZh",
    b"\xfd7zXZ\x00",
    b"7z\xbc\xaf\x27\x1c",
    b"Rar!\x1a\x07",
    b"\x28\xb5\x2f\xfd",  # zstd
    b"\x7fELF",
    b"\xca\xfe\xba\xbe",  # Mach-O universal, Java class
    b"\xfe\xed\xfa\xce",  # Mach-O
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\x00asm",  # WebAssembly
    b"SQLite format 3\x00",
    b"RIFF",  # WebP, WAV, AVI
    b"OggS",
    b"fLaC",
    b"\x1a\x45\xdf\xa3",  # Matroska, WebM
    b"II*\x00",  # TIFF
    b"MM\x00*",
    b"wOFF",
    b"wOF2",
    b"\x00\x00\x01\x00",  # ICO
)
_ID3 = re.compile(rb"ID3[\x02-\x04]")  # MP3; the version byte keeps "ID3 tags ..." text out
_BZIP2 = re.compile(rb"BZh[1-9]")

#: Bytes that text does not contain: C0 controls except tab, LF, VT, FF, CR and ESC; DEL.
_CONTROL = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f]")
_CONTROL_CHAR = re.compile(r"[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f]")
_NEWLINE = re.compile(r"\r\n?")

#: cp1252 for the bytes 0x80-0x9F it defines; the five it leaves undefined (0x81, 0x8D, 0x8F,
#: 0x90, 0x9D) keep their Latin-1 meaning, so decoding never fails.
_CP1252 = {
    byte: char for byte in range(0x80, 0xA0) if (char := bytes([byte]).decode("cp1252", "ignore"))
}

_FALLBACK_ERRORS = "newsreader-cp1252"

#: Where a charset is declared: ``<meta charset>``, ``http-equiv`` content, ``<?xml encoding``.
DECLARATION_BYTES = 4096
_DECLARATION = re.compile(
    rb"""<meta[^<>]{0,200}?charset\s*=\s*["']?([\w.:-]{1,40})|"""
    rb"""<\?xml[^<>]{0,100}?encoding\s*=\s*["']([\w.:-]{1,40})""",
    re.I,
)
_WESTERN_LABELS = frozenset(
    ("iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "us-ascii", "ascii", "windows-1252")
)
#: Undeclared 8-bit text is guessed from its first bytes, if they hold enough non-ASCII ones.
GUESS_BYTES = 64 * 1024
MIN_GUESS_HIGH = 40
_HIGH_BYTES = bytes(range(0x80, 0x100))


class NotRegularFileError(OSError):
    """``read_capped`` was given a FIFO, socket, device or directory."""


def read_capped(path: str | os.PathLike[str], limit: int = MAX_BYTES) -> bytes:
    """Read at most ``limit`` bytes of a regular file, without ever blocking.

    Symlinks are followed, but what they lead to must be a regular file: FIFOs (which would
    block until a writer appears), sockets, devices (``/dev/zero`` never ends) and directories
    raise ``NotRegularFileError``, an ``OSError`` whose ``strerror`` says what was found. The
    type is checked before opening, so a device is never even opened, and again on the open
    descriptor, so a file swapped in between cannot slip through. ``O_NONBLOCK`` makes the open
    itself return at once even for a FIFO.
    """
    if limit < 0:
        raise ValueError(f"negative read limit: {limit}")
    _require_regular(os.stat(path).st_mode, path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    flags |= getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    try:
        status = os.fstat(fd)
        _require_regular(status.st_mode, path)
        chunks = []
        left = limit
        # The first read asks for the whole file and a byte more, and a short read once the
        # size fstat gave is in hand is the end: one read a file, not a 1 MB buffer and a
        # second read to find the end. A size of 0 may be wrong (/proc, some FUSE file
        # systems): then only an empty read is the end.
        want = status.st_size + 1
        while left > 0:
            asked = min(left, want)
            chunk = os.read(fd, asked)
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
            if status.st_size and len(chunk) < asked and limit - left >= status.st_size:
                break
            want = 1024 * 1024
        return b"".join(chunks)
    finally:
        os.close(fd)


def looks_binary(data: bytes) -> bool:
    """True for images, PDFs, archives, executables, databases and other non-text.

    Known magic numbers decide first. Otherwise the first ``SNIFF_BYTES`` bytes are binary when
    more than ``MAX_CONTROL_SHARE`` of them are NUL or other control bytes. Text with a Unicode
    BOM is never binary, and neither is BOM-less UTF-16, recognised by its NUL pattern and then
    checked for control characters as text. Trailing NUL padding is not looked at: preallocated
    and half-written files end in it, and ``decode`` drops it.
    """
    head = data[:SNIFF_BYTES]
    if not head or any(head.startswith(bom) for bom, _ in _BOMS):
        return False
    if (
        head.startswith(_MAGIC)
        or head[4:8] == b"ftyp"  # MP4, MOV, HEIC, AVIF
        or _ID3.match(head)
        or _BZIP2.match(head)
    ):
        return True
    head = data.rstrip(b"\x00")[:SNIFF_BYTES]
    if not head:
        return True  # NULs and nothing else: no text to read
    utf16 = _bomless_utf16(head)
    if utf16 is not None:
        text = _trim(head, 2).decode(utf16, "replace")
        return len(_CONTROL_CHAR.findall(text)) > MAX_CONTROL_SHARE * len(text)
    return len(_CONTROL.findall(head)) > MAX_CONTROL_SHARE * len(head)


def decode(data: bytes) -> str:
    """Decode untrusted bytes to text. Never raises.

    A BOM decides the encoding (UTF-8, UTF-16 or UTF-32) and is removed, so front matter's
    ``---`` is at the start. BOM-less UTF-16 is recognised by its NUL pattern. Everything else
    is UTF-8 when it decodes as such. When it does not, it is cp1252 (a superset of Latin-1's
    printable characters; the five bytes cp1252 leaves undefined are read as Latin-1) — unless
    valid multi-byte UTF-8 sequences outnumber the invalid bytes, as in a UTF-8 file cut short
    by the read cap or with a stray cp1252 quote pasted in; then the valid sequences are kept
    as UTF-8 and only the invalid bytes are read as cp1252. Non-UTF-8 text is read in the
    charset that an HTML ``<meta>`` or an XML declaration names; undeclared, charset-normalizer
    reads it if it holds enough 8-bit bytes and comes out in a non-Latin script. NUL
    characters are removed and CRLF/CR become LF.
    """
    try:
        text = _decode(bytes(data))
    except Exception:  # noqa: BLE001 - a decoder bug must not stop an import; Latin-1 always works
        text = bytes(data).decode("latin-1")
    text = text.removeprefix("\ufeff").replace("\x00", "")
    return _NEWLINE.sub("\n", text)


def _decode(data: bytes) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            body = data[len(bom) :]
            if encoding == "utf-8":
                return _utf8_or_cp1252(body)
            if encoding.startswith("utf-32"):
                # FF FE 00 00 is also UTF-16 text starting with U+0000: UTF-32 must fit exactly.
                try:
                    return body.decode(encoding)
                except UnicodeDecodeError:
                    continue
            return _trim(body, 2).decode(encoding, "replace")
    utf16 = _bomless_utf16(data[:SNIFF_BYTES])
    if utf16 is not None:
        return _trim(data, 2).decode(utf16, "replace")
    return _utf8_or_cp1252(data)


def _utf8_or_cp1252(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    declared = _declared(data[:DECLARATION_BYTES])
    if declared:
        return data.decode(declared, "replace")
    if _mostly_utf8(data):
        return data.decode("utf-8", _FALLBACK_ERRORS)
    guessed = _guess(data)
    if guessed is not None:
        return guessed
    return data.decode("latin-1").translate(_CP1252)


def _declared(head: bytes) -> str | None:
    """The codec an HTML ``<meta charset>`` / ``http-equiv`` or an XML declaration names, if
    Python knows it; Latin-1 and ASCII labels mean cp1252, as browsers read them."""
    match = _DECLARATION.search(head)
    if match is None:
        return None
    label = (match.group(1) or match.group(2)).decode("ascii").lower()
    if label in _WESTERN_LABELS:
        return None  # the cp1252 fallback reads these, and UTF-8 mislabelled as them
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    # a page that says UTF-8 (or UTF-16, which 8-bit bytes can't be) and isn't: the fallback
    return None if name.startswith(("utf-8", "utf-16", "utf-32")) else name


def _guess(data: bytes) -> str | None:
    """charset-normalizer's reading of undeclared 8-bit text, when it is in a non-Latin script
    (Cyrillic, CJK, Greek…). For Latin text its guesses miss (cp1252 French read as cp1257,
    ISO-8859-2 Polish as ISO-8859-10) where the cp1252 fallback is right or near it."""
    sample = data[:GUESS_BYTES]
    if len(sample) - len(sample.translate(None, _HIGH_BYTES)) < MIN_GUESS_HIGH:
        return None
    from charset_normalizer import from_bytes  # only undeclared 8-bit text needs it

    best = from_bytes(sample).best()
    if best is None:
        return None
    try:
        text = data.decode(best.encoding, "replace")
    except LookupError:
        return None
    letters = [c for c in text[: len(sample)] if c.isalpha() and not c.isascii()]
    latin = sum(c <= "\u024f" for c in letters)
    return text if letters and latin < 0.2 * len(letters) else None


def _require_regular(mode: int, path: str | os.PathLike[str]) -> None:
    if not stat.S_ISREG(mode):
        raise NotRegularFileError(errno.EINVAL, f"not a regular file ({_kind(mode)})", path)


def _kind(mode: int) -> str:
    kinds = (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    )
    return next((name for test, name in kinds if test(mode)), "a special file")


def _trim(data: bytes, unit: int) -> bytes:
    """Whole code units only: a capped read can cut the last one in half."""
    return data[: len(data) - len(data) % unit]


def _bomless_utf16(head: bytes) -> str | None:
    """``utf-16-le``/``-be`` when the NULs fall on one side of the byte pairs, as in UTF-16 text
    that is mostly ASCII; None otherwise. Binary data has NULs on both sides."""
    pairs = len(head) // 2
    if pairs < 2:
        return None
    even_nuls = head[0 : pairs * 2 : 2].count(0)
    odd_nuls = head[1 : pairs * 2 : 2].count(0)
    if odd_nuls >= 0.3 * pairs and even_nuls <= 0.05 * pairs:
        return "utf-16-le"
    if even_nuls >= 0.3 * pairs and odd_nuls <= 0.05 * pairs:
        return "utf-16-be"
    return None


def _mostly_utf8(data: bytes) -> bool:
    """More valid non-ASCII UTF-8 characters than invalid byte runs."""
    text = data.decode("utf-8", "replace")
    invalid = text.count("\ufffd")
    non_ascii = len(text) - len(text.encode("ascii", "ignore"))
    return non_ascii - invalid > invalid


def _cp1252_fallback(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler: read the bytes UTF-8 rejected as cp1252.

    A sequence cut off at the very end is dropped instead: in mostly-UTF-8 data it is a
    character split by the read cap, not a cp1252 letter.
    """
    if not isinstance(error, UnicodeDecodeError):
        raise error
    if error.end == len(error.object) and error.reason == "unexpected end of data":
        return "", error.end
    bad = error.object[error.start : error.end]
    return bad.decode("latin-1").translate(_CP1252), error.end


codecs.register_error(_FALLBACK_ERRORS, _cp1252_fallback)
