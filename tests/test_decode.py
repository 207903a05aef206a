"""read_capped never blocks or reads too much; looks_binary and decode handle any bytes."""

from __future__ import annotations

import codecs
import os
import random
import socket
import stat
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsreader.ingest.decode import (
    MAX_BYTES,
    SNIFF_BYTES,
    NotRegularFileError,
    decode,
    looks_binary,
    read_capped,
)

FRONT_MATTER = "---\ntitle: Café “news”\n---\nBody text.\n"

posix_only = pytest.mark.skipif(os.name != "posix", reason="needs POSIX special files")


def finishes(call: Callable[[], object], timeout: float = 5.0) -> BaseException | object:
    """Run ``call`` in a daemon thread; fail if it has not returned within ``timeout`` seconds.

    A daemon thread so that a regression that blocks fails the test instead of hanging the run.
    """
    outcome: list[BaseException | object] = []

    def run() -> None:
        try:
            outcome.append(call())
        except BaseException as error:  # noqa: BLE001 - handed back to the test
            outcome.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), "read_capped blocked"
    return outcome[0]


# -- read_capped ----------------------------------------------------------------------------------


def test_read_capped_reads_small_file(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_bytes(b"hello\n")
    assert read_capped(path) == b"hello\n"
    assert read_capped(str(path)) == b"hello\n"
    assert read_capped(path, 3) == b"hel"
    assert read_capped(path, 0) == b""


def test_read_capped_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.touch()
    assert read_capped(path) == b""


def test_read_capped_caps_30_mb_file(tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    with path.open("wb") as handle:
        handle.write(b"start")
        handle.truncate(30 * 1024 * 1024)  # sparse: fast, and no real disk used
    data = read_capped(path)
    assert len(data) == MAX_BYTES == 4 * 1024 * 1024
    assert data.startswith(b"start")
    assert len(read_capped(path, 1000)) == 1000


def test_read_capped_follows_symlink_to_regular_file(tmp_path: Path) -> None:
    target = tmp_path / "real.txt"
    target.write_bytes(b"text")
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    assert read_capped(link) == b"text"


@posix_only
def test_read_capped_refuses_fifo_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.md"
    os.mkfifo(fifo)
    error = finishes(lambda: read_capped(fifo))
    assert isinstance(error, NotRegularFileError)
    assert isinstance(error, OSError)
    assert error.strerror == "not a regular file (a FIFO)"


@posix_only
def test_read_capped_refuses_symlink_to_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    link = tmp_path / "article.md"
    link.symlink_to(fifo)
    assert isinstance(finishes(lambda: read_capped(link)), NotRegularFileError)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
def test_read_capped_refuses_symlink_to_dev_zero(tmp_path: Path) -> None:
    link = tmp_path / "zero.md"
    link.symlink_to("/dev/zero")
    error = finishes(lambda: read_capped(link))
    assert isinstance(error, NotRegularFileError)
    assert "character device" in str(error)


@pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="no Unix sockets")
def test_read_capped_refuses_socket(tmp_path: Path) -> None:
    path = tmp_path / "s.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        try:
            server.bind(str(path))
        except OSError:
            pytest.skip("socket path too long for this platform")
        assert stat.S_ISSOCK(os.stat(path).st_mode)
        error = finishes(lambda: read_capped(path))
        assert isinstance(error, NotRegularFileError)
        assert "socket" in str(error)
    finally:
        server.close()


def test_read_capped_refuses_directory(tmp_path: Path) -> None:
    with pytest.raises(NotRegularFileError, match="directory"):
        read_capped(tmp_path)


def test_read_capped_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_capped(tmp_path / "missing.md")


def test_read_capped_dangling_symlink(tmp_path: Path) -> None:
    link = tmp_path / "dangling.md"
    link.symlink_to(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError):
        read_capped(link)


def test_read_capped_negative_limit(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"x")
    with pytest.raises(ValueError):
        read_capped(path, -1)


# -- looks_binary ---------------------------------------------------------------------------------

_PAYLOAD = bytes(range(256)) * 4


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + _PAYLOAD,
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + _PAYLOAD,
        b"GIF89a\x01\x00\x01\x00",
        b"GIF87a\x01\x00\x01\x00",
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n",
        b"PK\x03\x04\x14\x00\x06\x00word/document.xml",
        b"\x1f\x8b\x08\x00\x00\x00\x00\x00",
        b"BZh91AY&SY",
        b"\xfd7zXZ\x00\x00",
        b"7z\xbc\xaf\x27\x1c\x00\x04",
        b"Rar!\x1a\x07\x01\x00",
        b"\x28\xb5\x2f\xfd\x04\x00",
        b"\x7fELF\x02\x01\x01\x00" + bytes(56),
        b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" * 16,  # PE: by its NULs
        b"\xcf\xfa\xed\xfe\x07\x00\x00\x01",
        b"\xca\xfe\xba\xbe\x00\x00\x00\x34",
        b"RIFF\x24\x00\x00\x00WEBPVP8 ",
        b"RIFF\x24\x08\x00\x00WAVEfmt ",
        b"SQLite format 3\x00\x10\x00\x01\x01",
        b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00",
        b"\x00\x00\x00\x1cftypheic",
        b"ID3\x03\x00\x00\x00\x00\x0f\x76",
        b"OggS\x00\x02",
        b"\x1a\x45\xdf\xa3\x01\x00",
        b"\x00asm\x01\x00\x00\x00",
        random.Random(0).randbytes(8192),  # compressed or encrypted data without a magic number
        bytes(8192),  # all NULs
    ],
)
def test_looks_binary_true(data: bytes) -> None:
    assert looks_binary(data)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"Plain ASCII article text.\n" * 100,
        FRONT_MATTER.encode(),
        "Ελληνικά Русский 日本語 “quotes” — dash\n".encode() * 50,
        "cp1252 “smart quotes” and café\r\n".encode("cp1252") * 50,
        b"\x1b[31mANSI coloured text\x1b[0m\n" * 50,  # junk, but text: sanitize handles ESC
        codecs.BOM_UTF8 + FRONT_MATTER.encode(),
        codecs.BOM_UTF16_LE + FRONT_MATTER.encode("utf-16-le"),
        codecs.BOM_UTF16_BE + FRONT_MATTER.encode("utf-16-be"),
        codecs.BOM_UTF32_LE + FRONT_MATTER.encode("utf-32-le"),
        codecs.BOM_UTF32_BE + FRONT_MATTER.encode("utf-32-be"),
        (FRONT_MATTER * 20).encode("utf-16-le"),  # UTF-16 without BOM: NULs on one side
        (FRONT_MATTER * 20).encode("utf-16-be"),
        ("A long article. " * 500 + "\x00").encode(),  # one stray NUL does not make it binary
        b"ID3 tags explained: how MP3 metadata works\n",
        b"GIF or JIF? The debate continues\n",
        b"PK is a company; this is text about it.\n",
        b"Old DOS file\r\n" * 20 + b"\x1a",
    ],
)
def test_looks_binary_false(data: bytes) -> None:
    assert not looks_binary(data)


# -- decode ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        # BOMs are honoured and removed, so front matter starts the text.
        (codecs.BOM_UTF8 + FRONT_MATTER.encode(), FRONT_MATTER),
        (codecs.BOM_UTF16_LE + FRONT_MATTER.encode("utf-16-le"), FRONT_MATTER),
        (codecs.BOM_UTF16_BE + FRONT_MATTER.encode("utf-16-be"), FRONT_MATTER),
        (codecs.BOM_UTF32_LE + FRONT_MATTER.encode("utf-32-le"), FRONT_MATTER),
        (codecs.BOM_UTF32_BE + FRONT_MATTER.encode("utf-32-be"), FRONT_MATTER),
        ("\ufeff---\r\nx: 1\r\n---\r\n".encode("utf-16"), "---\nx: 1\n---\n"),
        # UTF-16 without a BOM, from its NUL pattern.
        (FRONT_MATTER.encode("utf-16-le"), FRONT_MATTER),
        (FRONT_MATTER.encode("utf-16-be"), FRONT_MATTER),
        ("Hi\r\nthere".encode("utf-16-le"), "Hi\nthere"),
        # UTF-16 cut mid code unit by the read cap: the half unit is dropped.
        (codecs.BOM_UTF16_LE + "Hello".encode("utf-16-le") + b"w", "Hello"),
        ("Hello world".encode("utf-16-le")[:-1], "Hello worl"),
        # UTF-8.
        ("Ελληνικά Русский 日本語 “quotes” 👍".encode(), "Ελληνικά Русский 日本語 “quotes” 👍"),
        # Latin-1 and cp1252.
        (b"caf\xe9 na\xefve d\xe9j\xe0 vu", "café naïve déjà vu"),
        (b"\x93quoted\x94", "“quoted”"),
        (b"it\x92s \x85 \x80 5 \x96 \x97 \x99", "it’s … € 5 – — ™"),
        ("«ÉTÉ» STRAßE“".encode("cp1252"), "«ÉTÉ» STRAßE“"),  # pairs that look like UTF-8
        (b"undefined \x81\x8d\x8f\x90\x9d", "undefined \x81\x8d\x8f\x90\x9d"),  # Latin-1 for these
        # Mostly UTF-8 with a stray cp1252 byte: both read right.
        ("naïve “quoted” ".encode() + b"\x93stray\x94", "naïve “quoted” “stray”"),
        # UTF-8 cut inside a character by the read cap: the fragment is dropped.
        ("déjà “vu”".encode()[:-2], "déjà “vu"),
        # NUL bytes removed; line endings normalised.
        (b"a\x00b\x00\x00c", "abc"),
        (b"one\r\ntwo\rthree\nfour\r\n", "one\ntwo\nthree\nfour\n"),
        (b"", ""),
        (codecs.BOM_UTF8, ""),
        (codecs.BOM_UTF16_LE, ""),
        (codecs.BOM_UTF16_LE + "\x00ab".encode("utf-16-le"), "ab"),  # not UTF-32: 6 bytes
    ],
)
def test_decode(data: bytes, expected: str) -> None:
    assert decode(data) == expected


def test_decode_large_truncated_utf8_file(tmp_path: Path) -> None:
    # A 5 MB UTF-8 file read with the cap ends mid-character; it must stay UTF-8 throughout.
    path = tmp_path / "big.md"
    path.write_bytes(("Ünïcödé “text” line\n" * 250_000).encode())
    data = read_capped(path)
    assert len(data) == MAX_BYTES
    text = decode(data)
    assert text.startswith("Ünïcödé “text” line\n")
    assert "Ã" not in text and "\ufffd" not in text


# -- properties -----------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_decode_never_raises(data: bytes) -> None:
    text = decode(data)
    assert isinstance(text, str)
    assert "\x00" not in text and "\r" not in text
    assert isinstance(looks_binary(data), bool)


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=300))
def test_decode_round_trips_utf8(text: str) -> None:
    # Without NULs (whose pattern would read as UTF-16), any UTF-8 text comes back unchanged.
    expected = text.replace("\r\n", "\n").replace("\r", "\n")
    assert decode(text.encode()) == expected.removeprefix("\ufeff")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300), st.sampled_from(["utf-16", "utf-32", "utf-8-sig"]))
def test_decode_round_trips_with_bom(text: str, encoding: str) -> None:
    if encoding == "utf-16" and text.startswith("\x00"):
        text = "x" + text  # FF FE 00 00 would be a UTF-32 BOM: ambiguous by nature
    expected = text.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n")
    assert decode(text.encode(encoding)) == expected.removeprefix("\ufeff")


ARTICLE = b"---\ntitle: Padded\n---\nThe council met on Tuesday and voted for the new budget.\n"


def test_trailing_nul_padding_is_not_binary() -> None:
    assert not looks_binary(ARTICLE + bytes(4096))
    assert not looks_binary(ARTICLE + bytes(SNIFF_BYTES * 3))
    assert decode(ARTICLE + bytes(4096)) == ARTICLE.decode()


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(4096),
        random.Random(1).randbytes(3000) + bytes(4096),
        b"\x01\x02\x03" + bytes(8192),
        bytes(4096),
    ],
    ids=["png", "random", "controls", "nothing-but-nul"],
)
def test_binaries_with_nul_padding_stay_binary(data: bytes) -> None:
    assert looks_binary(data)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_read_capped_reads_a_file_whose_size_says_zero() -> None:
    # /proc files are regular with st_size 0: the first read, sized from fstat, must not be
    # taken for the whole file.
    data = read_capped("/proc/self/status")
    assert b"Name:" in data and b"VmRSS" in data


def test_read_capped_reads_whole_files_and_stops_at_the_limit(tmp_path: Path) -> None:
    for size in (0, 1, 4095, 4096, 1024 * 1024 + 3):
        path = tmp_path / f"f{size}"
        path.write_bytes(bytes(range(256)) * (size // 256) + b"x" * (size % 256))
        assert read_capped(path) == path.read_bytes()
        assert read_capped(path, limit=100) == path.read_bytes()[:100]


def test_read_capped_reads_on_when_the_size_says_zero_and_reads_come_short(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Some file systems (FUSE, /proc) report st_size 0 and hand data out in short reads.
    import newsreader.ingest.decode as decode_module

    path = tmp_path / "f"
    path.write_bytes(b"0123456789" * 1000)
    real_fstat, real_read = os.fstat, os.read

    def fstat(fd: int) -> os.stat_result:
        status = real_fstat(fd)
        fields = list(status)
        fields[stat.ST_SIZE] = 0
        return os.stat_result(fields)

    monkeypatch.setattr(decode_module.os, "fstat", fstat)
    monkeypatch.setattr(decode_module.os, "read", lambda fd, n: real_read(fd, min(n, 700)))
    assert read_capped(path) == path.read_bytes()
