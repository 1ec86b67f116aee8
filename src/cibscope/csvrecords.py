"""Small CSV files read as records with their physical lines, and a record broken by a quote told apart.

For the readers of small, hand-made or spreadsheet-exported CSV files (the media-policy
inputs, referral-audit's daily counts), read whole into memory; not for the ingest of large
exports, which has its own.

Line numbers are physical lines (``\\n``, ``\\r\\n`` or ``\\r`` ends one, as Python's CSV reader
counts them): a record whose quoted field holds a line break spans several lines, and the
record after it keeps its true line.

A stray or unclosed ``"`` makes a CSV reader take every line up to the next quote as one field:
the rows in it vanish, or a garbage field is kept. A record over several lines that lacks the
header's field count, whose quoted text holds lines that have it, or whose quote is never
closed -- and a field running past ``csv.field_size_limit()`` -- is yielded as *broken*, with its
span and why, and reading starts again on its second line: one stray quote costs one row. A
well-formed multi-line field (a note with a line break) is kept.

Text that is not UTF-8 is an :class:`~cibscope.errors.InputError` naming its line and byte.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError

__all__ = ["UTF8_HINT", "Record", "decode", "physical_lines", "read", "records"]

UTF8_HINT = "save the file as UTF-8 (a spreadsheet's 'CSV UTF-8')"


@dataclass(frozen=True)
class Record:
    """One CSV record: its physical lines (``line`` the first, ``last`` the last) and its fields.

    ``broken`` says, when a quote broke the record, why it is not a row (its span and what the
    quote did); ``fields`` is then the text of its first line alone, and the lines after that one
    are read again (they follow as records of their own).
    """

    line: int
    last: int
    fields: list[str]
    broken: str = ""


def physical_lines(text: str) -> list[str]:
    """``text`` split into physical lines as a CSV reader counts them, each with its line end."""
    return io.StringIO(text, newline="").readlines()


def decode(raw: bytes, *, file: str | None = None) -> str:
    """``raw`` as text: UTF-8, a leading BOM dropped.

    Bytes that are not UTF-8 are an InputError naming ``file``, the physical line and the byte
    of that line (1-based), e.g. ``not UTF-8 text (invalid continuation byte at byte 34 of the
    line, b'\\xe4')``.
    """
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        before = physical_lines(raw[: e.start].decode("utf-8"))
        line = sum(1 for ln in before if ln.endswith(("\n", "\r"))) + 1
        col = e.start - max(raw.rfind(b"\n", 0, e.start), raw.rfind(b"\r", 0, e.start))
        raise InputError(
            f"not UTF-8 text ({e.reason} at byte {col} of the line, {raw[e.start:e.start + 1]!r})",
            file=file, line=line, hint=UTF8_HINT,
        ) from e


def read(path: str | Path, *, fate: str = "skipped", before_header: Callable[[list[str]], bool] | None = None) -> Iterator[Record]:
    """The records of the CSV file ``path`` (read whole, UTF-8): :func:`decode`, then :func:`records`."""
    p = Path(path)
    return records(decode(p.read_bytes(), file=str(p)), fate=fate, before_header=before_header, file=str(p))


def records(
    text: str,
    *,
    fate: str = "skipped",
    before_header: Callable[[list[str]], bool] | None = None,
    file: str | None = None,
) -> Iterator[Record]:
    """Every CSV record of ``text`` in order, header included, each with its physical lines.

    The header is the first record, or with ``before_header`` the first record it does not
    accept (``before_header(fields)`` true: a blank or comment line before the header); the
    header's field count is the one a row must have. A record after the header that spans
    several lines is yielded as broken (:attr:`Record.broken`) when it lacks that field count,
    when lines wholly inside its quote have it (rows swallowed by a stray quote), or when its
    quote is never closed; so is a field over ``csv.field_size_limit()``. Reading then starts
    again on the broken record's second line. ``fate`` is what the caller does with a broken
    record, in its words ("skipped", "quarantined"): the reason says so.

    A header that cannot be read (a field over the limit) is an InputError naming ``file``.
    """
    lines = physical_lines(text)
    width: int | None = None
    start = 0  # index (0-based) of the line reading starts at
    while start < len(lines):
        reader = csv.reader(itertools.islice(lines, start, None))
        prev = 0
        again: int | None = None
        try:
            for row in reader:
                first, last = start + prev + 1, start + reader.line_num
                prev = reader.line_num
                if width is None:
                    if before_header is None or not before_header(row):
                        width = len(row)
                elif last > first:
                    why = _quote_broke(row, width, lines, first, last, fate)
                    if why:
                        yield Record(first, last, [lines[first - 1].rstrip("\r\n")], why)
                        again = first
                        break
                yield Record(first, last, row)
        except csv.Error as e:  # a field over csv.field_size_limit(): a quote ran away
            first, last = start + prev + 1, start + reader.line_num
            if width is None:
                raise InputError(f"malformed CSV header ({e})", file=file, line=first) from e
            what = (
                f"a quoted field opened on line {first} runs past {csv.field_size_limit():,} characters (to line {last})"
                if "field limit" in str(e) else f"malformed CSV ({e})"
            )
            yield Record(first, last, [lines[first - 1].rstrip("\r\n")],
                         f"lines {first}-{last}: {what} (a stray or unclosed quote?); line {first} is {fate} and the lines after it are read again as rows")
            again = first
        if again is None:
            return
        start = again


def _quote_broke(row: list[str], width: int, lines: list[str], first: int, last: int, fate: str) -> str:
    """Why the record ``row`` over lines ``first``-``last`` is no row of a ``width``-field file;
    '' when it is a well-formed multi-line row."""
    never = _never_closed("".join(lines[first - 1:last]))
    inner = lines[first:last] if never else lines[first:last - 1]  # the lines wholly inside the quote
    looks = sum(1 for ln in inner if len(next(csv.reader([ln]), [])) == width)
    if not (never or looks or len(row) != width):
        return ""
    k = next((i for i, c in enumerate(row, 1) if "\n" in c or "\r" in c), 1)
    where = f"is never closed: the file ends inside it, on line {last}" if never else f"closes only on line {last}"
    swallowed = f", and {looks:,} of the {len(inner):,} lines {'after it' if never else 'between'} look like rows of their own" if looks else ""
    return (
        f"lines {first}-{last}: a quote opened in field {k} on line {first} {where}{swallowed} (a stray or unclosed quote?); "
        f"the record ({len(row)} fields, the header has {width}) is {fate} and lines {first + 1}-{last} are read again as rows"
    )


def _never_closed(text: str) -> bool:
    """Does ``text`` end inside a quoted field?"""
    try:
        for _ in csv.reader(io.StringIO(text, newline=""), strict=True):
            pass
    except csv.Error as e:
        return "unexpected end of data" in str(e)
    return False
