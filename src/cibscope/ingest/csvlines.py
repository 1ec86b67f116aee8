"""The physical lines of a CSV file outside its quoted fields: line ends and blank lines.

DuckDB's CSV reader takes one line end for the whole file (from its first line): a file whose
records end in ``\\r\\n`` in one part and in ``\\n`` in another (two exports concatenated, a
header written on Windows) is parsed as a few giant records and rejected. It skips blank lines
without a trace, so the lines of the records after one are not ``ordinal + embedded newlines``.
Both are rare, so neither is looked for on the common path: a reader scans the file with
:func:`scan_line_ends` only when DuckDB rejected records (are the line ends mixed?) or when its
records do not account for the file's physical lines (are there blank lines?).

A newline is *outside* the quoted fields when an even number of quote characters precede it
(``""`` inside a quoted field keeps the parity). The scan is chunked numpy over the
(decompressed) bytes: no Python per byte or per line.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import numpy as np

from .base import Source

_CHUNK = 1 << 24
_LF, _CR, _QUOTE = 10, 13, 34


@dataclass
class LineEnds:
    """What :func:`scan_line_ends` found outside the quoted fields."""

    lf: int = 0  # line ends that are a bare "\n"
    crlf: int = 0  # line ends that are "\r\n"
    # 1-based physical lines that are empty ("\n" right after a line end, or "\r\n" in a file
    # whose line ends are all "\r\n"), in file order
    blank: list[int] = field(default_factory=list)

    @property
    def mixed(self) -> bool:
        return bool(self.lf and self.crlf)


def _open(source: Source) -> IO[bytes]:
    return gzip.open(source.path, "rb") if source.compression == "gzip" else open(source.path, "rb")


def _chunks(source: Source):  # type: ignore[no-untyped-def]
    """(chunk as uint8 array, its first byte's offset)."""
    offset = 0
    with _open(source) as f:
        while True:
            buf = f.read(_CHUNK)
            if not buf:
                return
            yield np.frombuffer(buf, dtype=np.uint8), offset
            offset += len(buf)


def _ends_in(a: np.ndarray, parity: int, before: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One chunk's newlines: their indexes, which are outside quotes, which follow a CR, which
    end an empty line of a "\n" file ("\n\n") and of a "\r\n" file ("\n\r\n").
    ``parity``: quotes before the chunk, mod 2; ``before``: the two bytes before the chunk
    ("\n\n" at the start of the file: an empty first line is blank)."""
    nl = np.flatnonzero(a == _LF)
    quotes = np.flatnonzero(a == _QUOTE)
    outside = (np.searchsorted(quotes, nl) + parity) % 2 == 0
    ext = np.concatenate([np.array(before, dtype=np.uint8), a])  # ext[i + 2] is a[i]
    prev1, prev2 = ext[nl + 1], ext[nl]
    cr = prev1 == _CR
    return nl, outside, cr, prev1 == _LF, cr & (prev2 == _LF)


def _last_two(before: tuple[int, int], a: np.ndarray) -> tuple[int, int]:
    return (int(a[-2]), int(a[-1])) if len(a) > 1 else (before[1], int(a[-1]))


def scan_line_ends(source: Source) -> LineEnds:
    """The line ends and blank lines of ``source`` outside its quoted fields (one pass)."""
    out = LineEnds()
    parity = 0
    newlines = 0  # newlines before the chunk
    before = (_LF, _LF)
    lf_blank: list[np.ndarray] = []
    crlf_blank: list[np.ndarray] = []
    for a, _offset in _chunks(source):
        nl, outside, cr, empty_lf, empty_crlf = _ends_in(a, parity, before)
        out.crlf += int(np.count_nonzero(outside & cr))
        out.lf += int(np.count_nonzero(outside & ~cr))
        lf_blank.append(np.flatnonzero(outside & empty_lf) + newlines + 1)
        crlf_blank.append(np.flatnonzero(outside & empty_crlf) + newlines + 1)
        parity = (parity + int(np.count_nonzero(a == _QUOTE))) % 2
        newlines += len(nl)
        before = _last_two(before, a)
    # "\r\n" alone is an empty line only where every line end is "\r\n" (else it is a line
    # holding a CR, and the file is read through write_lf_copy anyway)
    parts = lf_blank + (crlf_blank if out.crlf and not out.lf else [])
    out.blank = sorted(int(x) for part in parts for x in part)
    return out


def write_lf_copy(source: Source, dest: Path) -> None:
    """Write ``source`` (decompressed) to ``dest`` with every "\r\n" line end outside the
    quoted fields made "\n": the same records, fields and physical lines (a CR inside a quoted
    field stays)."""
    parity = 0
    before = (_LF, _LF)
    pending = b""  # the previous chunk's last byte: not written if it is a line end's CR
    with open(dest, "wb") as out:
        for a, _offset in _chunks(source):
            nl, outside, cr, _e1, _e2 = _ends_in(a, parity, before)
            drop = nl[outside & cr] - 1  # each line end's CR (-1: the previous chunk's last byte)
            if not (len(drop) and drop[0] == -1):
                out.write(pending)
            keep = np.ones(len(a), dtype=bool)
            keep[drop[drop >= 0]] = False
            kept = a[keep]  # never empty: a dropped CR has its LF after it in the chunk
            out.write(kept[:-1].tobytes())
            pending = kept[-1:].tobytes()
            parity = (parity + int(np.count_nonzero(a == _QUOTE))) % 2
            before = _last_two(before, a)
        out.write(pending)
