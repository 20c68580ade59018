"""Scan large inputs in bounded memory: windows with overlap, absolute offsets.

A file is read ``chunk_size`` characters at a time and scanned as a *window* of
the new chunk plus ``overlap`` characters carried over from the previous one.
Each window reports only the findings that *start* before its cut point (the
window end minus ``overlap``); the rest are rescanned in the next window, which
also re-reads ``_CONTEXT`` characters before the cut so context words ("Patient:",
"password=") are still seen.  A value shorter than ``overlap`` therefore always
lies whole inside the window that reports it, and is reported exactly once.

Values longer than the overlap (a PEM private key block is 1.7 KB for RSA-2048
and 3.2 KB for RSA-4096; an OpenSSH key can be longer) are handled by deferral:
if a window ends inside an open ``-----BEGIN ... PRIVATE KEY-----`` block, or a
finding runs up to the window's end, the cut moves back to where that value
starts and the next window grows until the value closes.  Deferral is bounded by
``max_value`` (default 1 MiB): a value longer than that is reported in pieces,
so memory stays O(chunk_size + overlap + max_value) whatever the input.
"""

from __future__ import annotations

import codecs
import io
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from guardllm.errors import InputError

if TYPE_CHECKING:
    from guardllm.detect.engine import Detector
    from guardllm.detect.finding import Finding

#: Characters re-read before a cut so context words and key names stay visible.
_CONTEXT = 256
_BEGIN = "-----BEGIN"
_END = "-----END"


@dataclass(frozen=True, slots=True)
class LocatedFinding:
    """A finding plus its 1-based line and column in the stream (for CLI output)."""

    finding: Finding
    line: int
    column: int


def _scan_text(text: str, detector: Detector | None) -> list[Finding]:
    from guardllm.detect import scan

    return scan(text, detector=detector)


def _open_block_start(window: str, limit: int) -> int | None:
    """Start of a ``-----BEGIN`` marker before ``limit`` that has no ``-----END`` after it."""
    begin = window.rfind(_BEGIN, 0, limit)
    if begin < 0:
        return None
    if window.find(_END, begin) >= 0:
        return None
    return begin


def scan_stream_located(
    chunks: Iterable[str],
    *,
    detector: Detector | None = None,
    chunk_size: int = 1 << 20,
    overlap: int = 4096,
    max_value: int = 1 << 20,
) -> Iterator[LocatedFinding]:
    """Like :func:`scan_stream`, but each finding carries its line and column."""
    if chunk_size < 1 or overlap < 0:
        raise InputError("chunk_size must be >= 1 and overlap >= 0")
    buf = ""
    base = 0  # absolute offset of buf[0]
    floor = 0  # absolute offset below which nothing may be reported again
    line_at_base = 1
    line_start_abs = 0  # absolute offset of the start of the line containing buf[0]
    pending = iter(chunks)
    exhausted = False
    growing = False

    while True:
        # Fill the window: the chunk plus the carried overlap (and any deferred value).
        # A deferred window doubles instead of growing by one chunk, so rescanning
        # a long open value stays linear in its length.
        target = len(buf) + (max(chunk_size, len(buf)) if growing else chunk_size)
        growing = False
        parts = [buf]
        size = len(buf)
        while size < target and not exhausted:
            try:
                part = next(pending)
            except StopIteration:
                exhausted = True
                break
            if not isinstance(part, str):
                raise InputError(f"scan_stream expects str chunks, got {type(part).__name__}")
            parts.append(part)
            size += len(part)
        buf = "".join(parts)
        if not buf:
            return

        findings = _scan_text(buf, detector)
        if exhausted:
            cut = len(buf)
        else:
            cut = max(len(buf) - overlap, 1)
            # Defer a value that may continue past the window's end.
            block = _open_block_start(buf, len(buf))
            if block is not None and len(buf) - block <= max_value:
                cut = min(cut, block)
            for f in findings:
                if f.end >= len(buf) and len(buf) - f.start <= max_value:
                    cut = min(cut, f.start)
            if base + cut <= floor:
                # Nothing can be reported yet: grow the window instead of spinning.
                if len(buf) - (floor - base) > max_value:
                    cut = len(buf) - overlap  # give up deferring; report in pieces
                else:
                    growing = True
                    continue  # the next pass reads more into this window

        # Report findings that start in [floor, cut), with line/column from a cursor.
        line, cursor = line_at_base, 0
        last_nl_abs = line_start_abs - 1
        for f in findings:
            abs_start = base + f.start
            if f.start >= cut or abs_start < floor:
                continue
            nl = buf.count("\n", cursor, f.start)
            if nl:
                line += nl
                last_nl_abs = base + buf.rfind("\n", cursor, f.start)
            cursor = f.start
            yield LocatedFinding(_shift(f, base), line=line, column=abs_start - (last_nl_abs + 1) + 1)
            floor = max(floor, base + f.end)
        floor = max(floor, base + cut)
        if exhausted and cut >= len(buf):
            return

        # Carry the tail (plus a little context) into the next window.
        keep_from = max(cut - _CONTEXT, 0)
        dropped = buf[:keep_from]
        nl = dropped.count("\n")
        if nl:
            line_at_base += nl
            line_start_abs = base + dropped.rfind("\n") + 1
        base += keep_from
        buf = buf[keep_from:]


def _shift(f: Finding, delta: int) -> Finding:
    from guardllm.detect.finding import shift_finding

    return shift_finding(f, delta)


def scan_stream(
    chunks: Iterable[str],
    *,
    detector: Detector | None = None,
    chunk_size: int = 1 << 20,
    overlap: int = 4096,
    max_value: int = 1 << 20,
) -> Iterator[Finding]:
    """Scan text that arrives in pieces; findings have offsets into the whole text.

    ``chunks`` may be any iterable of ``str`` (lines of a file, network reads).
    Findings come out in order, each exactly once, as soon as the window that
    holds them is complete.
    """
    for located in scan_stream_located(
        chunks, detector=detector, chunk_size=chunk_size, overlap=overlap, max_value=max_value
    ):
        yield located.finding


def _decoded_chunks(fh: BinaryIO, name: str, *, read_size: int, encoding: str, errors: str) -> Iterator[str]:
    try:
        decoder = codecs.getincrementaldecoder(encoding)(errors=errors)
    except LookupError as exc:
        raise InputError(f"unknown encoding {encoding!r}") from exc
    consumed = 0
    while True:
        data = fh.read(read_size)
        final = not data
        held = len(decoder.getstate()[0])
        try:
            text = decoder.decode(data, final=final)
        except UnicodeDecodeError as exc:
            offset = consumed - held + exc.start
            raise InputError(
                f"{name}: not valid {encoding} at byte offset {offset}"
                " (use --encoding-errors replace to scan it anyway)"
            ) from None
        consumed += len(data)
        if text:
            yield text
        if final:
            return


def iter_file_chunks(
    source: str | os.PathLike[str] | BinaryIO,
    *,
    chunk_size: int = 1 << 20,
    encoding: str = "utf-8",
    errors: str = "strict",
) -> Iterator[str]:
    """Decoded text of a file (path or binary file object), ``chunk_size`` bytes per read."""
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        try:
            fh = path.open("rb")
        except OSError as exc:
            raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
        with fh:
            yield from _decoded_chunks(fh, str(path), read_size=chunk_size, encoding=encoding, errors=errors)
        return
    if isinstance(source, io.TextIOBase):
        raise InputError("scan_file expects a path or a binary file object (open with 'rb')")
    name = str(getattr(source, "name", "<stream>"))
    yield from _decoded_chunks(source, name, read_size=chunk_size, encoding=encoding, errors=errors)


def scan_file_located(
    source: str | os.PathLike[str] | BinaryIO,
    *,
    detector: Detector | None = None,
    chunk_size: int = 1 << 20,
    overlap: int = 4096,
    encoding: str = "utf-8",
    errors: str = "strict",
) -> Iterator[LocatedFinding]:
    """:func:`scan_file` with line and column numbers (what ``guardllm scan`` prints)."""
    chunks = iter_file_chunks(source, chunk_size=chunk_size, encoding=encoding, errors=errors)
    yield from scan_stream_located(chunks, detector=detector, chunk_size=chunk_size, overlap=overlap)


def scan_file(
    source: str | os.PathLike[str] | BinaryIO,
    *,
    detector: Detector | None = None,
    chunk_size: int = 1 << 20,
    overlap: int = 4096,
    encoding: str = "utf-8",
    errors: str = "strict",
) -> Iterator[Finding]:
    """Scan a file of any size in bounded memory; offsets are characters from its start.

    Non-UTF-8 bytes raise :class:`guardllm.InputError` naming the file and byte
    offset, unless ``errors="replace"``.
    """
    for located in scan_file_located(
        source,
        detector=detector,
        chunk_size=chunk_size,
        overlap=overlap,
        encoding=encoding,
        errors=errors,
    ):
        yield located.finding


__all__ = [
    "LocatedFinding",
    "iter_file_chunks",
    "scan_file",
    "scan_file_located",
    "scan_stream",
    "scan_stream_located",
]
