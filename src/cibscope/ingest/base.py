"""The reader contract.

A reader turns one source file into rows of the *staging* tables below (temp tables in the
case's DuckDB connection) and quarantines what it cannot read. It never touches the final
tables: :mod:`cibscope.ingest.finalize` normalises staged rows (URLs, hashtags, text),
removes duplicates and inserts them, the same way for every format.

Row accounting: ``rows_read`` returned by ``read`` must equal the rows the reader put into
``stage_posts`` (or ``stage_accounts`` for account files) plus the rows it put into
``stage_quarantine``. Finalize may move staged rows to quarantine (e.g. a post id already in
the case) and keeps the equation true: read = kept + quarantined.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Iterable
from typing import Any, ClassVar, Protocol

import duckdb

from ..progress import Progress
from ..schema import ACCOUNTS, POSTS, QUARANTINE, Table

# Staged posts: the final `posts` columns minus text_norm, plus the raw entity lists.
STAGE_POSTS = Table(
    "stage_posts",
    tuple((n, t) for n, t in POSTS.columns if n != "text_norm")
    + (("hashtags", "VARCHAR[]"), ("urls", "VARCHAR[]"), ("mentions", "VARCHAR[]")),
    "Posts as read, before normalisation. hashtags without '#', raw URLs, mention ids or handles.",
)
STAGE_ACCOUNTS = Table(
    "stage_accounts",
    ACCOUNTS.columns + (("from_users_file", "BOOLEAN"),),
    "Accounts as read. from_users_file is true for rows of a users/accounts file (they win over snapshots taken from posts).",
)
STAGE_QUARANTINE = Table("stage_quarantine", QUARANTINE.columns, "Rows the reader could not keep.")
STAGE_TABLES = (STAGE_POSTS, STAGE_ACCOUNTS, STAGE_QUARANTINE)


def sql_ident(name: str) -> str:
    """A column name as a quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def embedded_newlines_sql(columns: Iterable[str]) -> str:
    """SQL: the newlines inside a CSV record's fields (each makes the record span one more
    physical line), summed over ``columns``; '0' for none."""
    parts = [
        f"CASE WHEN contains({c}, chr(10)) THEN strlen({c}) - strlen(replace({c}, chr(10), '')) ELSE 0 END"
        for c in map(sql_ident, columns)
    ]
    return " + ".join(parts) or "0"


@dataclass
class Source:
    """One input: a file on disk, possibly a member extracted from a .zip."""

    path: Path  # readable file (.csv, .csv.gz, .json, .jsonl, .json.gz, .parquet, ...)
    name: str  # what to show and store as source_file, e.g. "tweets.zip!tweets.csv"
    compression: str | None = None  # "gzip" or None

    def head(self, n: int = 65536) -> bytes:
        """The first ``n`` bytes, decompressed."""
        if self.compression == "gzip":
            import gzip

            with gzip.open(self.path, "rb") as f:
                try:
                    return f.read(n)
                except (OSError, EOFError):
                    return b""
        with open(self.path, "rb") as f:
            return f.read(n)


@dataclass
class ReadContext:
    con: duckdb.DuckDBPyConnection
    source: Source
    progress: Progress | None = None
    options: dict[str, Any] = field(default_factory=dict)  # e.g. {"mapping": Mapping} for generic
    # Physical lines of the file (newlines, plus one for an unterminated last line), counted in
    # the same pass as the content hash when the reader asks for it (``counts_lines = True``)
    # and the file is not compressed; None when unknown. A CSV reader can then check that the
    # newlines it found inside fields account for every line instead of searching every field.
    physical_lines: int | None = None


class Reader(Protocol):
    """A file format. Register instances in :data:`cibscope.ingest.registry.READERS`.

    Optional class attribute ``counts_lines = True``: the orchestrator then counts the file's
    physical lines while hashing it and passes them as :attr:`ReadContext.physical_lines`.
    """

    name: ClassVar[str]
    description: ClassVar[str]
    kind: ClassVar[str]  # "posts" or "accounts"

    def sniff(self, source: Source, head: bytes) -> bool:
        """True when this reader recognises the file from its first bytes (header/first line)."""
        ...

    def read(self, ctx: ReadContext) -> int:
        """Stage the file's rows; return rows read (= staged + quarantined by the reader).

        Raise :class:`cibscope.errors.MissingColumnsError` for a missing or renamed column.
        """
        ...
