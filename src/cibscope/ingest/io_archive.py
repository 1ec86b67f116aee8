"""Readers for Twitter's Information Operations archive (users CSV and tweets CSV).

The archive is a pair of CSV files per release (``*_users_csv_hashed.csv`` with 10 columns,
``*_tweets_csv_hashed.csv`` with 31), plain, gzipped or zipped, often hundreds of MB. Parsing
happens inside DuckDB (``read_csv`` with explicit all-VARCHAR columns and a rejects table), and
every transformation is SQL, so a file streams through in one parallel pass and never becomes
Python objects.

What the SQL does, and why:

* ``tweetid`` is a 64-bit integer: kept as its exact decimal string (never a float), checked to
  be 1-20 digits that fit in UBIGINT; otherwise the row is quarantined (``invalid tweetid``).
* ``tweet_time`` is ``YYYY-MM-DD HH:MM`` UTC, minute precision. Coordination windows of seconds
  need more, so the time is recovered from the tweet id when it is a Twitter *snowflake* id,
  ``ms = (id >> 22) + 1288834974657``, and only when the decoded time falls inside the given
  minute (ids from before the snowflake scheme, Nov 2010, decode to Nov 2010 and never agree).
  Then ``created_at`` holds the decoded millisecond time and ``time_precision = 'second'``;
  otherwise the minute is kept and ``time_precision = 'minute'``.
* ``latitude``/``longitude`` ``absent`` -> NULL; ``is_retweet`` is a boolean literal in any case.
* ``kind``: ``repost`` when ``is_retweet``, else ``reply`` when ``in_reply_to_tweetid``, else
  ``quote`` when ``quoted_tweet_tweetid``, else ``post``.
* ``hashtags``/``urls``/``user_mentions`` are bracketed lists (``[]``, ``[a, b]``, ``['a', "b"]``)
  parsed into ``VARCHAR[]`` by the ``cib_parse_list`` macro.
* A hashed account (fewer than 5,000 followers) has userid = screen name = display name.
* The valid rows are not copied into ``stage_posts``: ``cib_raw`` already has its columns
  (lists parsed in the parallel parse), so the invalid rows and extra columns are dropped and
  ``cib_raw`` is renamed ``stage_posts`` (one materialisation of every row instead of two).
* Each tweet row also carries a snapshot of its account: one ``stage_accounts`` row per
  account the case does not have yet (from its newest tweet) is staged with
  ``from_users_file = false``; a users file, when there is one, wins over it (see
  :mod:`.finalize`). Its profile columns are read by a second, filtered scan only when some
  account needs a snapshot (not when a users file was ingested first).

Source lines. Every row keeps ``source_line``, the 1-based *physical* line where its record
starts (the header is line 1). Quoted fields may hold newlines, so the line is
``record ordinal + newlines embedded in all earlier records``. The parse itself carries no
window (a streaming window would put the whole parse on one thread): it fills ``cib_raw`` with
insertion order preserved, and the lines are numbered afterwards over its rowids (file order)
with a running sum of embedded newlines. Records DuckDB
rejects (wrong field count, unterminated quote, invalid UTF-8, ...) are not in that stream:
their own line comes from their byte position, and the rows after them are shifted by the
lines they spanned.
"""

from __future__ import annotations

import bisect
import csv
import gzip
import io
import re
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar


from ..engine.duckdb import DuckDBEngine, executemany
from ..errors import MissingColumnsError
from . import rules
from .base import (
    STAGE_POSTS, ReadContext, Reader, Source, become_stage_posts, embedded_newlines_sql, finalize_may_quarantine, is_utf8_file, sql_ident,
    trimmed_sql,
)
from .csvlines import scan_line_ends, write_lf_copy

USER_COLUMNS: tuple[str, ...] = (
    "userid",
    "user_display_name",
    "user_screen_name",
    "user_reported_location",
    "user_profile_description",
    "user_profile_url",
    "follower_count",
    "following_count",
    "account_creation_date",
    "account_language",
)
TWEET_COLUMNS: tuple[str, ...] = (
    "tweetid",
    *USER_COLUMNS,
    "tweet_language",
    "tweet_text",
    "tweet_time",
    "tweet_client_name",
    "in_reply_to_userid",
    "in_reply_to_tweetid",
    "quoted_tweet_tweetid",
    "is_retweet",
    "retweet_userid",
    "retweet_tweetid",
    "latitude",
    "longitude",
    "quote_count",
    "reply_count",
    "like_count",
    "retweet_count",
    "hashtags",
    "urls",
    "user_mentions",
    "poll_choices",
)
_TWEET_ONLY = tuple(c for c in TWEET_COLUMNS if c not in USER_COLUMNS)

SNOWFLAKE_EPOCH_MS = 1288834974657
MAX_LINE_SIZE = 8 * 1024 * 1024  # bytes of one record; longer ones are quarantined

# Temp tables of DuckDB's rejects (recreated for every file).
_REJ_TABLE = "cib_rejects"
_REJ_SCAN = "cib_reject_scans"
_LF_COPY = "lf-copy.csv"  # a file with mixed line ends is read through a copy of this name


def header_columns(head: bytes) -> list[str]:
    """Column names of the header row in ``head`` (BOM and surrounding spaces stripped)."""
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    try:
        row = next(csv.reader(io.StringIO(text)), [])
    except csv.Error:
        return []
    return [c.strip() for c in row]


def _q(s: str) -> str:
    """A SQL string literal."""
    return "'" + s.replace("'", "''") + "'"


_ident = sql_ident


@dataclass
class _Layout:
    """The header of one file: DuckDB column names (deduplicated) by archive column name."""

    names: list[str]  # as read_csv will name them, in file order

    @classmethod
    def of(cls, header: list[str]) -> _Layout:
        seen: dict[str, int] = {}
        names: list[str] = []
        for i, h in enumerate(header):
            base = h.lower() or f"column{i}"
            n = seen.get(base, 0)
            seen[base] = n + 1
            names.append(base if n == 0 else f"{base}_{n}")
        return cls(names)

    def columns_sql(self) -> str:
        return "{" + ", ".join(f"{_q(n)}: 'VARCHAR'" for n in self.names) + "}"


def _read_csv_sql(source: Source, layout: _Layout, rejects: tuple[str, str] = (_REJ_TABLE, _REJ_SCAN)) -> str:
    """DuckDB's parallel CSV reader, no sniffing, every column VARCHAR, malformed records
    recorded in the rejects tables (with their record number and byte position)."""
    comp = "gzip" if source.compression == "gzip" else "none"
    opts = [
        "auto_detect = false",
        "header = true",
        "delim = ','",
        "quote = '\"'",
        "escape = '\"'",
        f"columns = {layout.columns_sql()}",
        f"compression = '{comp}'",
        f"max_line_size = {MAX_LINE_SIZE}",
        "store_rejects = true",
        f"rejects_table = '{rejects[0]}'",
        f"rejects_scan = '{rejects[1]}'",
    ]
    return f"read_csv({_q(str(source.path))}, {', '.join(opts)})"


# Columns where a newline inside a field is to be expected (free text). When the file's physical
# lines are known, only these are searched and the total is checked against the file (see
# _ArchiveReader._parse_into_raw); every other column is searched only when the check fails.
_NL_FIELDS = frozenset(
    {
        "tweet_text",
        "user_display_name",
        "user_screen_name",
        "user_reported_location",
        "user_profile_description",
        "user_profile_url",
        "tweet_client_name",
        "poll_choices",
    }
)


def _nl_sql(layout: _Layout, names: list[str] | None = None) -> str:
    """Newlines embedded in a record's fields (all of them, or ``names``)."""
    return embedded_newlines_sql(layout.names if names is None else names)


def _every_column_sql(layout: _Layout) -> str:
    """SQL naming every column of the record, at almost no cost: DuckDB checks a field's UTF-8
    only when its column is read (projection pushdown), so a read that uses a few columns would
    keep a record whose other fields are not UTF-8, which a full read quarantines (``invalid
    UTF-8 in field N``). Rows are validated alike whatever the read needs."""
    return "(" + " OR ".join(f"{_ident(n)} IS NULL" for n in layout.names) + ")"


def _raw_sql(layout: _Layout) -> str:
    """The record re-serialised as CSV (for quarantined rows that DuckDB did parse)."""
    return "concat_ws(',', " + ", ".join(
        f"'\"' || replace(coalesce({_ident(n)}, ''), '\"', '\"\"') || '\"'" for n in layout.names
    ) + ")"


def _scan_sql(
    source: Source, layout: _Layout, pre: tuple[str, ...], why: str, extra: str = "", rejects: tuple[str, str] = (_REJ_TABLE, _REJ_SCAN)
) -> str:
    """The file's records with the values ``pre`` computes once (each level may use the one
    before), ``_why`` (NULL for a valid record, else the reason) and ``extra`` columns (SQL,
    with a leading comma).

    No window here: a streaming window (``row_number() OVER ()``) forces the whole pipeline,
    CSV parsing included, onto one thread. The lines are numbered afterwards, over the
    materialised table (see :meth:`_ArchiveReader._number_lines`). Only the columns the
    caller's expressions name are materialised (DuckDB's projection pushdown): a lean read
    never builds the text column.
    """
    sql = _read_csv_sql(source, layout, rejects)
    for level in pre:
        sql = f"(SELECT *, {level} FROM {sql})"
    return f"SELECT *, {why} AS _why{extra} FROM {sql}"


@dataclass
class _Parse:
    """One parse of a file into ``cib_raw``, and what a second scan needs to repeat it."""

    layout: _Layout
    pre: tuple[str, ...]
    why: str
    lines: bool  # cib_raw.source_line holds each record's line (before the rejects' shift)
    # what the numbering counted: parsed records, newlines inside their fields (for the check
    # that every physical line is accounted for: see _ArchiveReader._blank_lines)
    records: int = 0
    newlines: int = 0
    blanks: list[int] | None = None  # the file's blank lines, once looked for
    blanks_done: bool = False  # the lines were shifted past them


class _ArchiveReader:
    """What both archive readers share: header check, parsing with rejects, line numbers."""

    name: ClassVar[str]
    description: ClassVar[str]
    kind: ClassVar[str]
    required: ClassVar[tuple[str, ...]]
    # ask the orchestrator for the file's physical lines (counted with its content hash)
    counts_lines: ClassVar[bool] = True
    # a read without lines (ReadContext.lines False) numbers them only if a row is quarantined
    # (by a second scan): it needs no line count then
    lines_on_demand: ClassVar[bool] = True

    # -- header ----------------------------------------------------------------------------
    def _layout(self, ctx: ReadContext) -> _Layout:
        header = header_columns(ctx.source.head())
        layout = _Layout.of(header)
        present = set(layout.names)
        missing = [c for c in self.required if c not in present]
        if missing:
            raise MissingColumnsError(ctx.source.name, missing, self.name)
        return layout

    # -- staging helpers -----------------------------------------------------------------
    @staticmethod
    def _drop_rejects(eng: DuckDBEngine) -> None:
        eng.execute(f"DROP TABLE IF EXISTS {_REJ_TABLE}")
        eng.execute(f"DROP TABLE IF EXISTS {_REJ_SCAN}")

    @staticmethod
    def _count(eng: DuckDBEngine, sql: str) -> int:
        rows = eng.execute(sql).fetchall()
        return int(rows[0][0]) if rows and rows[0][0] is not None else 0

    def _parse_into_raw(
        self, ctx: ReadContext, layout: _Layout, select: dict[str, str], why: str, pre: tuple[str, ...] = (), *, lines: bool = True
    ) -> _Parse:
        """Parse the file once into the temp table ``cib_raw``: ``select`` columns and ``_why``
        (NULL for a valid row, else the reason); with ``lines``, ``_nl`` and the line numbers.

        ``pre`` are columns computed first (once, level by level) for ``why`` and ``select`` to
        reuse: DuckDB does not share a subexpression between the branches of a CASE. One parse
        feeds everything the reader stages (posts, account snapshots, quarantine):
        materialising a few more columns is cheaper than parsing the CSV twice. The record of
        an invalid row (its ``raw`` in the quarantine) is not carried: naming every column
        would materialise all of them for every row; :meth:`_quarantine_invalid` reads it
        back when there are invalid rows.

        Embedded newlines (``lines``): when the file's physical lines are known, only the
        free-text columns (:data:`_NL_FIELDS`) are searched, and the lines found must add up
        to the file's (header + records + their embedded newlines + rejected records' lines).
        Newline counts are never negative, so when they add up no other field can hold one;
        when they do not, every field is searched in a second pass. Searching 8 columns
        instead of 31 is a measurable part of the parse.

        Without ``lines`` (a read whose posts need no line, ``ReadContext.lines``) no text
        column is materialised at all and ``source_line`` stays NULL; the lines are numbered
        later (:meth:`_ensure_lines`) only if some row is quarantined.
        """
        cols = ", ".join(f"{expr} AS {_ident(name)}" for name, expr in select.items())
        partial = None
        if lines and ctx.physical_lines is not None:
            partial = [n for n in layout.names if n in _NL_FIELDS]
        nl = f", {_nl_sql(layout, partial)} AS _nl" if lines else ""
        # a lean read of a file that is valid UTF-8 throughout need not read every column to
        # validate the records as a full read does (see _every_column_sql); the file is
        # checked in a thread while DuckDB parses (both release the GIL), and parsed again
        # reading every column if it is not valid throughout
        utf8: Future[bool] | None = None
        if ctx.fields is not None and ctx.source.compression is None:
            pool = ThreadPoolExecutor(1, thread_name_prefix="cibscope-utf8")
            utf8 = pool.submit(is_utf8_file, ctx.source.path)
            pool.shutdown(wait=False)

        def parse_sql(enc: str) -> str:
            return f"""
            CREATE OR REPLACE TEMP TABLE cib_raw AS
            SELECT {cols}{', _nl' if lines else ''}, _why{enc}
            FROM ({_scan_sql(ctx.source, layout, (*pre, "CAST(NULL AS BIGINT) AS _line0"), why, nl)})
            """

        every = f", {_every_column_sql(layout)} AS _enc"
        try:
            ctx.engine.execute(parse_sql("" if utf8 is not None else every))
        finally:
            valid = utf8 is not None and utf8.result()  # the thread is done before anything else reads
        if utf8 is not None and not valid:
            self._drop_rejects(ctx.engine)
            ctx.engine.execute(parse_sql(every))
        if self._count(ctx.engine, f"SELECT count(*) FROM {_REJ_TABLE}") and self._read_lf_copy(ctx):
            # the rejects came from line ends that change within the file: parse its LF copy
            self._drop_rejects(ctx.engine)
            ctx.engine.execute(parse_sql("" if valid else every))
        parse = _Parse(layout, pre, why, lines=lines)
        if not lines:
            return parse
        if partial is not None and len(partial) < len(layout.names) and not self._lines_add_up(ctx):
            self._scan_newlines(ctx, layout)
            parse.records, parse.newlines = self._number_lines(ctx.engine, from_scan=True)
        else:
            parse.records, parse.newlines = self._number_lines(ctx.engine)
        return parse

    @staticmethod
    def _read_lf_copy(ctx: ReadContext) -> bool:
        """If the file's line ends are "\r\n" in some records and "\n" in others (DuckDB
        takes the first line's for the whole file, and rejects the rest as a few giant
        records), make ``ctx.source`` a copy whose line ends are all "\n" (same records,
        fields and physical lines; the source's name stays) and say so. Checked only when
        DuckDB rejected records (see :mod:`.csvlines`)."""
        if ctx.source.origin is not None and ctx.source.path.name == _LF_COPY:
            return False  # already the copy
        if not scan_line_ends(ctx.source).mixed:
            return False
        tmp = tempfile.TemporaryDirectory(prefix="cibscope-eol-")
        ctx.held.append(tmp)  # removed once the read is over (the context is dropped)
        target = Path(tmp.name) / _LF_COPY
        write_lf_copy(ctx.source, target)
        src = ctx.source
        ctx.source = Source(target, src.name, None, origin=src.origin or src.path)
        return True

    def _lines_add_up(self, ctx: ReadContext) -> bool:
        """Do the header, the parsed records with their embedded newlines and the rejected
        records account for exactly the file's physical lines?"""
        parsed = ctx.engine.execute("SELECT count(*), coalesce(sum(_nl), 0) FROM cib_raw").fetchall()[0]
        rejected = sum(1 + _reject_spans(raw) for _o, _p, raw, _e in _reject_rows(ctx.engine))
        return 1 + int(parsed[0]) + int(parsed[1]) + rejected == ctx.line_count()

    def _ensure_lines(self, ctx: ReadContext, parse: _Parse, *, blanks: bool = True) -> None:
        """Number ``cib_raw``'s lines if the parse did not (a read without lines that has
        rows to quarantine): a second scan counts the newlines inside every field. With
        ``blanks``, the lines are final (no record was rejected: see :meth:`_rejects`)."""
        if not parse.lines:
            self._scan_newlines(ctx, parse.layout)
            parse.records, parse.newlines = self._number_lines(ctx.engine, from_scan=True)
            parse.lines = True
        if blanks:
            self._blank_lines(ctx, parse, [])

    @staticmethod
    def _find_blanks(ctx: ReadContext, parse: _Parse, rejects: list[tuple]) -> list[int]:
        """The file's blank lines (1-based, in order), which DuckDB skips without a trace.

        Looked for (a scan of the file, :func:`.csvlines.scan_line_ends`) only when the
        header, the numbered records with their newlines and the rejected records
        (``rejects``: ordinal, byte position, raw text, error) do not account for every
        physical line of the file, or when that count is unknown."""
        if parse.blanks is None:
            total = ctx.line_count()
            spanned = sum(1 + _reject_spans(r[2]) for r in rejects)
            if total is not None and 1 + parse.records + parse.newlines + spanned >= total:
                parse.blanks = []
            else:
                parse.blanks = scan_line_ends(ctx.source).blank
        return parse.blanks

    def _blank_lines(self, ctx: ReadContext, parse: _Parse, rejects: list[tuple]) -> None:
        """Shift ``cib_raw``'s lines past the blank lines before them (see
        :meth:`_find_blanks`). A record whose line counts ``n`` lines without the blank ones
        is after blank line ``b_j`` (``j`` blank lines before it) iff ``b_j - j <= n``: its
        line grows by the number of such blank lines."""
        if parse.blanks_done or not parse.lines:
            return
        parse.blanks_done = True
        blank = self._find_blanks(ctx, parse, rejects)
        if not blank:
            return
        eng = ctx.engine
        eng.execute("CREATE OR REPLACE TEMP TABLE cib_blank (adj BIGINT, k BIGINT)")
        executemany(eng, "INSERT INTO cib_blank VALUES (?, ?)", [(b - j, j + 1) for j, b in enumerate(blank)])
        eng.execute(
            """
            UPDATE cib_raw SET source_line = cib_raw.source_line + f.k
            FROM (
                SELECT r.line0, b.k
                FROM (SELECT source_line AS line0 FROM cib_raw) r
                ASOF JOIN (SELECT adj, max(k) AS k FROM cib_blank GROUP BY adj) b ON r.line0 >= b.adj
            ) f
            WHERE cib_raw.source_line = f.line0
            """
        )
        eng.execute("DROP TABLE cib_blank")

    def _scan_newlines(self, ctx: ReadContext, layout: _Layout) -> None:
        """``cib_nl``: the newlines inside every field of each parsed record, by a second scan
        of the file in the same (file) order as ``cib_raw``."""
        scratch = ("cib_rejects_nl", "cib_reject_scans_nl")
        ctx.engine.execute(
            f"CREATE OR REPLACE TEMP TABLE cib_nl AS SELECT {_nl_sql(layout)} AS _nl FROM {_read_csv_sql(ctx.source, layout, scratch)}"
        )
        for t in scratch:
            ctx.engine.execute(f"DROP TABLE IF EXISTS {t}")

    @staticmethod
    def _number_lines(eng: DuckDBEngine, *, from_scan: bool = False) -> tuple[int, int]:
        """Set ``cib_raw.source_line`` to the record's physical line assuming no rejects:
        ``record ordinal + 1 (header) + newlines embedded in all earlier records``, the
        newlines from ``cib_raw._nl`` or (``from_scan``) from ``cib_nl`` (dropped here).
        Returns the records numbered and the newlines inside them.

        ``cib_raw`` (and ``cib_nl``) were filled from the parallel CSV scan with insertion
        order preserved, so their rowids (fresh in this transaction, never deleted from yet)
        follow file order. The numbering runs on the narrow (rowid, _nl) projection, after the
        parallel parse; a file without embedded newlines needs no window (line = ordinal + 2).
        """
        rows = eng.execute("SELECT current_setting('preserve_insertion_order')").fetchall()
        if rows and not rows[0][0]:
            raise AssertionError("cib_raw needs preserve_insertion_order = true (file order)")
        nl_table = "cib_nl" if from_scan else "cib_raw"
        n, n_nl, lo, hi = eng.execute(f"SELECT count(*), coalesce(sum(_nl), 0), min(rowid), max(rowid) FROM {nl_table}").fetchall()[0]
        if from_scan and int(n) != int(eng.execute("SELECT count(*) FROM cib_raw").fetchall()[0][0]):
            raise AssertionError("cib_nl and cib_raw hold different records")
        if int(n_nl) == 0 and not from_scan and int(n) and int(hi) - int(lo) + 1 == int(n):
            eng.execute(f"UPDATE cib_raw SET source_line = rowid - {int(lo)} + 2")
        elif not from_scan:
            eng.execute(
                """
                UPDATE cib_raw SET source_line = n.line
                FROM (
                    SELECT rowid AS rid,
                           row_number() OVER w + 1 + sum(_nl) OVER w - _nl AS line
                    FROM cib_raw
                    WINDOW w AS (ORDER BY rowid ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
                ) n
                WHERE cib_raw.rowid = n.rid
                """
            )
        else:
            # both tables were filled in file order: the k-th rowid of each is the same record
            eng.execute(
                """
                UPDATE cib_raw SET source_line = n.line
                FROM (
                    SELECT row_number() OVER w AS k, row_number() OVER w + 1 + sum(_nl) OVER w - _nl AS line
                    FROM cib_nl
                    WINDOW w AS (ORDER BY rowid ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
                ) n,
                (SELECT row_number() OVER (ORDER BY rowid) AS k, rowid AS rid FROM cib_raw) r
                WHERE n.k = r.k AND cib_raw.rowid = r.rid
                """
            )
            eng.execute("DROP TABLE cib_nl")
        return int(n), int(n_nl)

    def _quarantine_invalid(self, ctx: ReadContext, parse: _Parse) -> int:
        """Quarantine the parsed rows whose ``_why`` says why they cannot be kept, each with its
        record re-serialised as CSV. The records are read back by a second scan that keeps
        only the invalid ones (the same rule on the same file, in file order: its k-th row is
        ``cib_raw``'s k-th invalid row); no second scan when every row is valid."""
        eng = ctx.engine
        n = self._count(eng, "SELECT count(*) FROM cib_raw WHERE _why IS NOT NULL")
        if not n:
            return 0
        self._ensure_lines(ctx, parse)
        scratch = ("cib_rejects_raw", "cib_reject_scans_raw")
        scan = _scan_sql(ctx.source, parse.layout, parse.pre, parse.why, f", {_raw_sql(parse.layout)} AS _raw", scratch)
        eng.execute(f"CREATE OR REPLACE TEMP TABLE cib_rawtext AS SELECT _raw FROM ({scan}) WHERE _why IS NOT NULL")
        got = self._count(
            eng,
            f"""
            INSERT INTO stage_quarantine
            SELECT {_q(ctx.source.name)}, r.source_line, t._raw, r._why
            FROM (SELECT source_line, _why, row_number() OVER (ORDER BY rowid) AS k FROM cib_raw WHERE _why IS NOT NULL) r
            JOIN (SELECT _raw, row_number() OVER (ORDER BY rowid) AS k FROM cib_rawtext) t ON t.k = r.k
            """,
        )
        for t in ("cib_rawtext", *scratch):
            eng.execute(f"DROP TABLE IF EXISTS {t}")
        if got != n:
            raise AssertionError(f"{ctx.source.name}: {n} invalid rows, {got} read back")
        return n

    def _rejects(self, ctx: ReadContext, parse: _Parse) -> int:
        """Quarantine what DuckDB rejected; fix the lines of the rows parsed after it.

        Must run before any row of ``cib_raw`` is deleted (the table holds exactly this file's
        parsed records, each with its provisional line).
        """
        eng = ctx.engine
        table = "cib_raw"
        n_fields = len(parse.layout.names)
        rows = _reject_rows(eng)
        if not rows:
            self._blank_lines(ctx, parse, [])
            return 0
        self._ensure_lines(ctx, parse, blanks=False)
        physical = _physical_lines(ctx.source, [int(r[1] or 0) for r in rows])
        # DuckDB's ordinal of a rejected record counts the blank lines before it, as records
        blanks = self._find_blanks(ctx, parse, rows)
        out = []
        for (ordinal, _pos, raw, err), line in zip(rows, physical):
            raw = (raw or "").strip("\r\n")  # see _reject_spans
            spans = _reject_spans(raw)
            out.append((int(ordinal) - bisect.bisect_left(blanks, line), line, raw, _reject_reason(err, n_fields), spans))
        executemany(
            eng,
            "INSERT INTO stage_quarantine VALUES (?, ?, ?, ?)",
            [(ctx.source.name, line, raw, reason) for _o, line, raw, reason, _s in out],
        )
        # Parsed record k (1-based, in file order) comes after rejected record j (ordinal R_j, j
        # 1-based in order) iff g_j = R_j - 1 - j parsed records precede j and g_j < k.
        shifts = []
        total = 0
        for j, (ordinal, _line, _raw, _reason, spans) in enumerate(out, start=1):
            total += 1 + spans
            shifts.append((ordinal - 1 - j, total))
        eng.execute("CREATE OR REPLACE TEMP TABLE cib_line_shift (g BIGINT, shift BIGINT)")
        executemany(eng, "INSERT INTO cib_line_shift VALUES (?, ?)", shifts)
        # Staged rows are ranked by their provisional line (strictly increasing in file order;
        # rowids are not usable: inside a transaction they are transaction-local numbers).
        eng.execute(
            f"""
            UPDATE {table} SET source_line = {table}.source_line + f.shift
            FROM (
                SELECT r.line0, l.shift
                FROM (SELECT source_line AS line0, row_number() OVER (ORDER BY source_line) - 1 AS k0 FROM {table}) r
                ASOF JOIN cib_line_shift l ON r.k0 >= l.g
            ) f
            WHERE {table}.source_line = f.line0
            """
        )
        eng.execute("DROP TABLE cib_line_shift")
        self._blank_lines(ctx, parse, rows)
        return len(out)


def _reject_rows(eng: DuckDBEngine) -> list[tuple]:
    """One row per record DuckDB rejected: (record ordinal, byte position, raw text, error)."""
    return eng.execute(
        f"""
        SELECT line, min(line_byte_position) AS pos,
               arg_min(csv_line, (CASE error_type WHEN 'INVALID ENCODING' THEN 0 WHEN 'UNQUOTED VALUE' THEN 1
                    WHEN 'LINE SIZE OVER MAXIMUM' THEN 2 WHEN 'MISSING COLUMNS' THEN 3 WHEN 'TOO MANY COLUMNS' THEN 3 ELSE 4 END, column_idx, error_message)) AS raw,
               arg_min(struct_pack(t := CAST(error_type AS VARCHAR), c := column_idx, n := column_name, m := error_message),
                    (CASE error_type WHEN 'INVALID ENCODING' THEN 0 WHEN 'UNQUOTED VALUE' THEN 1
                    WHEN 'LINE SIZE OVER MAXIMUM' THEN 2 WHEN 'MISSING COLUMNS' THEN 3 WHEN 'TOO MANY COLUMNS' THEN 3 ELSE 4 END, column_idx, error_message)) AS err
        FROM {_REJ_TABLE} GROUP BY line ORDER BY line
        """
    ).fetchall()


def _reject_spans(raw: str | None) -> int:
    """Lines a rejected record spans beyond its first. DuckDB's text of a rejected record may
    start with the '\n' of the previous CRLF and end with its own terminator: neither counts."""
    return (raw or "").strip("\r\n").count("\n")


def _reject_reason(err: dict[str, object] | None, n_fields: int) -> str:
    if not err:
        return "malformed CSV record"
    kind = str(err.get("t"))
    col = err.get("c")
    name = err.get("n")
    msg = str(err.get("m") or "")
    where = f" in field {col}" + (f" '{name}'" if name else "") if col is not None else ""
    if kind == "INVALID ENCODING":
        return f"invalid UTF-8{where}"
    if kind == "UNQUOTED VALUE":
        found = int(col) if isinstance(col, int) else "?"
        return f"expected {n_fields} fields, found {found} (unterminated quote{where}: truncated record?)"
    if kind in ("MISSING COLUMNS", "TOO MANY COLUMNS"):
        m = re.search(r"Found:\s*(\d+)", msg)
        return f"expected {n_fields} fields, found {m.group(1) if m else '?'}"
    if kind == "LINE SIZE OVER MAXIMUM":
        return f"record longer than {MAX_LINE_SIZE} bytes"
    return f"malformed CSV record ({kind}: {msg})"


def _physical_lines(source: Source, positions: list[int]) -> list[int]:
    """1-based physical line of each byte position (positions as DuckDB reports them).

    DuckDB's ``line_byte_position`` is at most one byte past the record's first byte, never at
    a newline of the record, so the newlines before it are exactly the lines before the record.
    Reads the (decompressed) file once up to the last position; only used when rows were rejected.
    """
    order = sorted(range(len(positions)), key=lambda i: positions[i])
    out = [0] * len(positions)
    opener = gzip.open if source.compression == "gzip" else open
    seen = 0  # bytes consumed
    lines = 0  # newlines in them
    with opener(source.path, "rb") as f:  # type: ignore[operator]
        buf = b""
        for i in order:
            target = positions[i]
            while seen + len(buf) < target:
                lines += buf.count(b"\n")
                seen += len(buf)
                buf = f.read(1 << 22)
                if not buf:
                    break
            cut = max(0, target - seen)
            out[i] = lines + buf[:cut].count(b"\n") + 1
    return out


# ---------------------------------------------------------------------------------------------
# SQL fragments over the raw VARCHAR columns


def _nz(col: str) -> str:
    """Trimmed value, NULL when empty."""
    return trimmed_sql(_ident(col))


def _ne(col: str) -> str:
    """The value, NULL when empty (free text: kept as written, no trim)."""
    return f"nullif({_ident(col)}, '')"


def _count_sql(col: str) -> str:
    """A count (rules.count: a non-negative whole number, else NULL)."""
    return rules.count_sql(_nz(col))


def _date_sql(col: str) -> str:
    """An account date: NULL when unparseable or out of the rules' time range."""
    t = f"CAST(try_strptime({_nz(col)}, ['%Y-%m-%d', '%Y-%m-%d %H:%M:%S', '%Y-%m-%d %H:%M']) AS TIMESTAMP)"
    return f"CASE WHEN {rules.time_in_range_sql(t)} THEN {t} END"


def _bad_id_sql(col: str, decimal: bool, value: str | None = None) -> str:
    """SQL WHEN branch: the reason a non-empty id in ``col`` is refused (decimal or text id
    rule); ``value``: the trimmed value when computed before (else trimmed here)."""
    v = value or _nz(col)
    shown = f"chr(39) || left(regexp_replace({_ident(col)}, {rules.CONTROL_SQL}, '?', 'g'), 60) || chr(39)"
    if decimal:
        return f"WHEN NOT {rules.decimal_id_sql(v)} THEN 'invalid {col} ' || {shown} || ' (not an unsigned 64-bit integer)' "
    why = rules.text_id_problem_sql(v)
    return f"WHEN {why} IS NOT NULL THEN 'invalid {col} ' || {shown} || ' (' || {why} || ')' "


def _decimal_id_ok_sql(v: str) -> str:
    """SQL: the (non-NULL) value as read is a valid decimal id and its own trim (it prints
    back as itself from UBIGINT: digits only, no leading zero). NULL/false otherwise."""
    return f"CAST(TRY_CAST({v} AS UBIGINT) AS VARCHAR) = {v}"


def _text_id_ok_sql(v: str) -> str:
    """SQL: the value as read is, for sure, a valid text id and its own trim (see
    ``IOArchiveTweets._FAST_OK``); false or NULL says nothing (the rule then decides)."""
    return (
        f"(strlen({v}) <= {rules.MAX_ID_BYTES} AND (ord({v}) BETWEEN 65 AND 126 AND NOT contains({v}, ' ') "
        f"OR ord({v}) BETWEEN 47 AND 57 AND ends_with({v}, '=') OR ord({v}) BETWEEN 49 AND 57 AND {_decimal_id_ok_sql(v)} "
        f"OR ord({v}) IN (43, 45) AND regexp_matches({v}, {rules.SIGNED_ID_SQL})))"
    )


def _account_cols_sql() -> dict[str, str]:
    """stage_accounts columns from the 10 user columns (shared by users and tweets files)."""
    return {
        "account_id": _nz("userid"),
        "platform": "'twitter'",
        "screen_name": _ne("user_screen_name"),
        "display_name": _ne("user_display_name"),
        "description": _ne("user_profile_description"),
        "location": _ne("user_reported_location"),
        "profile_url": _ne("user_profile_url"),
        "follower_count": _count_sql("follower_count"),
        "following_count": _count_sql("following_count"),
        "created_at": _date_sql("account_creation_date"),
        "account_language": _ne("account_language"),
        # hashed accounts (< 5,000 followers): userid = screen name = display name = one hash
        "is_hashed": f"coalesce({_nz('userid')} = trim({_ident('user_screen_name')}) AND {_nz('userid')} = trim({_ident('user_display_name')}), false)",
    }


def _sniff_header(head: bytes) -> set[str]:
    return {c.lower() for c in header_columns(head)}


class IOArchiveUsers(_ArchiveReader):
    """``*_users_csv_hashed.csv``: one row per suspended account (10 columns)."""

    name: ClassVar[str] = "io-archive-users"
    description: ClassVar[str] = "Twitter Information Operations archive, users CSV (10 columns; .csv, .csv.gz, .zip)"
    kind: ClassVar[str] = "accounts"
    required: ClassVar[tuple[str, ...]] = USER_COLUMNS

    def sniff(self, source: Source, head: bytes) -> bool:
        cols = _sniff_header(head)
        return len(cols & set(USER_COLUMNS)) >= 6 and len(cols & set(_TWEET_ONLY)) < 3

    def read(self, ctx: ReadContext) -> int:
        eng = ctx.engine
        layout = self._layout(ctx)
        self._drop_rejects(eng)
        select = {
            **_account_cols_sql(),
            "source_file": _q(ctx.source.name),
            "source_line": "_line0",
            "from_users_file": "true",
        }
        why = f"CASE WHEN {_nz('userid')} IS NULL THEN 'missing userid' {_bad_id_sql('userid', False)}END"
        parse = self._parse_into_raw(ctx, layout, select, why)
        rejected = self._rejects(ctx, parse)
        invalid = self._quarantine_invalid(ctx, parse)
        names = ", ".join(select)
        staged = self._count(eng, f"INSERT INTO stage_accounts ({names}) SELECT {names} FROM cib_raw WHERE _why IS NULL")
        eng.execute("DROP TABLE cib_raw")
        self._drop_rejects(eng)
        return staged + rejected + invalid


# the tweets file's ids, trimmed once per row into these columns (see IOArchiveTweets._PRE)
_TWEET_IDS = {
    "tweetid": "_tid", "userid": "_uid", "in_reply_to_tweetid": "_rp", "quoted_tweet_tweetid": "_qt",
    "retweet_tweetid": "_rtt", "in_reply_to_userid": "_rpu", "retweet_userid": "_rtu",
}


class IOArchiveTweets(_ArchiveReader):
    """``*_tweets_csv_hashed.csv``: one row per tweet (31 columns), with account snapshots."""

    name: ClassVar[str] = "io-archive-tweets"
    description: ClassVar[str] = "Twitter Information Operations archive, tweets CSV (31 columns; .csv, .csv.gz, .zip)"
    kind: ClassVar[str] = "posts"
    required: ClassVar[tuple[str, ...]] = TWEET_COLUMNS

    def sniff(self, source: Source, head: bytes) -> bool:
        cols = _sniff_header(head)
        return len(cols & set(TWEET_COLUMNS)) >= 16 and bool(cols & {"tweetid", "tweet_text", "tweet_time"})

    # Values parsed once per row and reused by the validity rule and the columns.
    # Trimmed ids (and time, is_retweet) first, then what is parsed from them: the rule and
    # the columns name each several times. (is_retweet: the archive's own 'true'/'false' are
    # compared before the lower + cast of any other spelling.)
    _PRE = (
        ", ".join(f"{_nz(c)} AS {a}" for c, a in _TWEET_IDS.items()) + f", {_nz('tweet_time')} AS _tt",
        "try_strptime(_tt, '%Y-%m-%d %H:%M') AS _tmin, "
        "CASE WHEN strlen(_tt) > 16 THEN try_strptime(_tt, '%Y-%m-%d %H:%M:%S') END AS _tsec, "
        f"CASE {_ident('is_retweet')} WHEN 'true' THEN true WHEN 'false' THEN false "
        f"ELSE TRY_CAST(lower({_nz('is_retweet')}) AS BOOLEAN) END AS _rt0, "
        "TRY_CAST(_tid AS UBIGINT) AS _tidn",
        # the snowflake time of the id (BIGINT: a UBIGINT compared with epoch_ms's BIGINT
        # would be widened to HUGEINT on every row), and the given time
        f"CAST(_tidn >> 22 AS BIGINT) + {SNOWFLAKE_EPOCH_MS} AS _snow, coalesce(_tmin, _tsec) AS _tg",
        # does the snowflake time fall in the given minute (or second)?
        "_snow - epoch_ms(_tg) BETWEEN 0 AND CASE WHEN _tmin IS NULL THEN 999 ELSE 59999 END AS _snow_ok",
    )
    # The same first level without the trim rule: the values as read. Trimming (a CASE per
    # value) changes nothing in most values (every value of the archive as published); the
    # parse tries the values as read first (``_WHY_RAW`` marks a row holding a value the trim
    # changes) and parses the file again with the trim rule only when some row is so marked.
    # ~0.2 CPU-s per 1M tweets. (Before Dec 6 the mark missed a Unicode space at an edge of a
    # value holding an ASCII space, 'a b\u00a0': such a value was kept as read unless another
    # row of the file had the file parsed with the rule.)
    _PRE_RAW = (", ".join(f"{_ident(c)} AS {a}" for c, a in _TWEET_IDS.items()) + f", {_ident('tweet_time')} AS _tt", *_PRE[1:])
    _UNTRIMMED = "'untrimmed value'"  # the mark (no reason reads so)
    _WHY = (
        "CASE "
        f"WHEN _tid IS NULL OR NOT {rules.decimal_id_sql('_tid', '_tidn')} "
        f"THEN 'invalid tweetid ' || chr(39) || left(regexp_replace(coalesce(_tid, ''), {rules.CONTROL_SQL}, '?', 'g'), 60) || chr(39) "
        "WHEN _uid IS NULL THEN 'missing userid' "
        f"{_bad_id_sql('userid', False, '_uid')}"
        "WHEN _tmin IS NULL AND _tsec IS NULL "
        f"THEN 'unparseable tweet_time ' || chr(39) || left(regexp_replace(coalesce(tweet_time, ''), {rules.CONTROL_SQL}, '?', 'g'), 60) || chr(39) "
        f"WHEN NOT {rules.time_in_range_sql('coalesce(_tmin, _tsec)')} "
        f"THEN 'tweet_time out of range ' || chr(39) || left(tweet_time, 60) || chr(39) "
        f"|| ' (kept from {rules.TIME_MIN:%Y-%m-%d} to before {rules.TIME_MAX:%Y-%m-%d})' "
        f"WHEN _rt0 IS NULL AND {_nz('is_retweet')} IS NOT NULL "
        f"THEN 'invalid is_retweet ' || chr(39) || left(regexp_replace(is_retweet, {rules.CONTROL_SQL}, '?', 'g'), 60) || chr(39) "
        + "".join(_bad_id_sql(c, True, _TWEET_IDS[c]) for c in ("in_reply_to_tweetid", "quoted_tweet_tweetid", "retweet_tweetid"))
        + "".join(_bad_id_sql(c, False, _TWEET_IDS[c]) for c in ("in_reply_to_userid", "retweet_userid"))
        + "END"
    )
    # A row of the values as read that is valid for sure, by tests cheaper than the rule's
    # (``_WHY_RAW`` and its ``_UNTRIMMED`` mark, which every row of a valid file would
    # otherwise pass through in full: ~0.1-0.15 CPU-s per 1M tweets). Each test implies that
    # the rule finds nothing in its value and that the value is its own trim; a value that
    # fails one (a user id starting with '+' or '0', say) is judged by the rule as before.
    # * a decimal id (or tweetid, which must be there): prints back as itself from UBIGINT
    #   (digits only, no leading zero: no space, not empty);
    # * a text id, at most MAX_ID_BYTES long: starts with a character from 'A' to '~' (a
    #   letter or ASCII punctuation; not a space, digit, '=', '@', '+', '-', tab or CR: no
    #   formula, no float notation) and holds no space (the trim changes only a value that
    #   does: it then strips every Unicode space at the edges); or starts with a digit or
    #   '/' and ends with '=' (a base64 hash: float notation ends with a digit); or is a
    #   decimal id as above; or starts with a sign and is safe after it (the rule's test).
    # * the time: starts with a digit, does not end with a space, parses as a minute in range;
    # * is_retweet: read as a boolean, or empty.
    _FAST_OK = " AND ".join(
        [
            "CAST(_tidn AS VARCHAR) = _tid",
            _text_id_ok_sql("_uid"),
            f"ord(_tt) BETWEEN 48 AND 57 AND NOT ends_with(_tt, ' ') AND {rules.time_in_range_sql('_tmin')}",
            f"(_rt0 IS NOT NULL OR {_ident('is_retweet')} IS NULL)",
            *(f"({a} IS NULL OR {_decimal_id_ok_sql(a)})" for a in ("_rp", "_qt", "_rtt")),
            *(f"({a} IS NULL OR {_text_id_ok_sql(a)})" for a in ("_rpu", "_rtu")),
        ]
    )
    # (the mark: a value the trim rule changes -- a space at an edge, a Unicode space at an
    # edge of a value holding a space, or empty; only rows failing the fast tests get here)
    _WHY_RAW = (
        f"CASE WHEN {_FAST_OK} THEN NULL WHEN "
        + " OR ".join(f"{_nz(c)} IS DISTINCT FROM {_ident(c)}" for c in (*_TWEET_IDS, "tweet_time"))
        + f" THEN {_UNTRIMMED} "
        + _WHY.removeprefix("CASE ")
    )

    def read(self, ctx: ReadContext) -> int:
        eng = ctx.engine
        layout = self._layout(ctx)
        self._drop_rejects(eng)
        if not ctx.macros and any(ctx.wants(f) for f in ("hashtags", "urls", "mentions")):
            from .normalize import install_macros

            install_macros(eng)  # cib_parse_list
        # the given minute (or second) and the snowflake decoding of the id (see _PRE)
        given = "_tg"
        snow_ms, snow_ok = "_snow", "_snow_ok"
        rt = "coalesce(_rt0, false)"
        rp, qt = "_rp", "_qt"
        posts = {
            "post_id": "_tid",
            "account_id": "_uid",
            "created_at": f"CASE WHEN {snow_ok} THEN epoch_ms({snow_ms}) ELSE CAST({given} AS TIMESTAMP) END",
            "time_precision": f"CASE WHEN {snow_ok} OR _tmin IS NULL THEN 'second' ELSE 'minute' END",
            "kind": f"CASE WHEN {rt} THEN 'repost' WHEN {rp} IS NOT NULL THEN 'reply' WHEN {qt} IS NOT NULL THEN 'quote' ELSE 'post' END",
            "text": "tweet_text",
            "lang": _ne("tweet_language"),
            "client": _ne("tweet_client_name"),
            "repost_of": f"CASE WHEN {rt} THEN _rtt END",
            "repost_of_account": f"CASE WHEN {rt} THEN _rtu END",
            "reply_to_post": rp,
            "reply_to_account": "_rpu",
            "quote_of": qt,
            "like_count": _count_sql("like_count"),
            "repost_count": _count_sql("retweet_count"),
            "reply_count": _count_sql("reply_count"),
            "quote_count": _count_sql("quote_count"),
            # 'absent' (or anything not a number in range) -> NULL
            "latitude": rules.coordinate_sql(_nz("latitude"), "latitude"),
            "longitude": rules.coordinate_sql(_nz("longitude"), "longitude"),
            "source_line": "_line0",
            # the bracketed lists are parsed in the (parallel) parse pass: cib_raw becomes
            # stage_posts itself, see base.become_stage_posts
            "hashtags": f"cib_parse_list({_ident('hashtags')})",
            "urls": f"cib_parse_list({_ident('urls')})",
            "mentions": f"cib_parse_list({_ident('user_mentions')})",
        }
        # exactly the stage_posts columns, in order and with its types, but the ones the archive
        # has no column for (domains given apart from URLs, image hashes: left out, NULL) and
        # the two that are the same on every row (added by become_stage_posts, not stored per row)
        types = dict(STAGE_POSTS.columns)
        constants = {"platform": "'twitter'", "source_file": _q(ctx.source.name)}
        if list(posts) != [n for n in types if n not in ("domains", "images", *constants)]:
            raise AssertionError("IOArchiveTweets.read: posts columns differ from stage_posts")
        # a lean read (ctx.fields) leaves out what the caller does not need (text, lists, counts):
        # not even stored as NULLs here -- become_stage_posts leaves them out, finalize reads NULL
        # (source_line always: a read without lines numbers them when it quarantines a row)
        posts = {n: f"CAST({e} AS {types[n]})" for n, e in posts.items() if ctx.wants(n) or n == "source_line"}
        parse = self._parse_into_raw(ctx, layout, posts, self._WHY_RAW, pre=self._PRE_RAW, lines=ctx.lines)
        if self._count(eng, f"SELECT count(*) FROM cib_raw WHERE _why = {self._UNTRIMMED}"):
            # some id or time has a space at an edge (or is empty): parse with the trim rule
            self._drop_rejects(eng)
            parse = self._parse_into_raw(ctx, layout, posts, self._WHY, pre=self._PRE, lines=ctx.lines)
        rejected = self._rejects(ctx, parse)
        invalid = self._quarantine_invalid(ctx, parse)
        ctx.unique_ids, may_quarantine = finalize_may_quarantine(eng, "cib_raw", "post_id", "_why")
        if may_quarantine and not parse.lines:
            self._ensure_lines(ctx, parse)  # finalize names the line of a repeated post
        self._stage_snapshots(ctx, layout, lines=parse.lines)
        # cib_raw has exactly the stage_posts columns plus these: it becomes stage_posts (no copy)
        staged = become_stage_posts(eng, "cib_raw", invalid="_why IS NOT NULL" if invalid else None, constants=constants)
        self._drop_rejects(eng)
        return staged + rejected + invalid

    def _stage_snapshots(self, ctx: ReadContext, layout: _Layout, *, lines: bool = True) -> None:
        """One account row per account that the case does not know yet, from its newest valid
        tweet (not counted as rows).

        Only accounts without a row in ``accounts`` need one: an account already there (from a
        users file, read first, or an earlier file) wins over a snapshot anyway (see
        :mod:`.finalize`). So the profile columns are not carried through the parse; when some
        accounts need a snapshot, a second scan of the file reads the profile columns of just
        their newest tweets (picked by time and id in ``cib_raw``). With a users file, the usual
        release, there is no second scan; nor for a lean read that needs no profile column
        (``ReadContext.wants_account``): its snapshots hold the account id and platform only.
        Such a read without lines (``lines`` False: every ``source_line`` is NULL) has nothing
        to pick between an account's tweets: its snapshots are the distinct new accounts.
        """
        eng = ctx.engine
        profile = [c for c in _account_cols_sql() if c not in ("account_id", "platform")]
        if not lines and not any(ctx.wants_account(c) for c in profile):
            eng.execute(
                f"""
                INSERT INTO stage_accounts (account_id, platform, source_file, source_line, from_users_file)
                SELECT DISTINCT account_id, 'twitter', {_q(ctx.source.name)}, CAST(NULL AS BIGINT), false
                FROM cib_raw WHERE _why IS NULL AND account_id NOT IN (SELECT account_id FROM accounts)
                """
            )
            return
        eng.execute(
            """
            CREATE OR REPLACE TEMP TABLE cib_snap AS
            SELECT r.account_id, r.post_id, r.source_line
            FROM cib_raw r
            JOIN (
                SELECT arg_max(rowid, (created_at, TRY_CAST(post_id AS UBIGINT))) AS rid
                FROM cib_raw
                WHERE _why IS NULL AND account_id NOT IN (SELECT account_id FROM accounts)
                GROUP BY account_id
            ) m ON r.rowid = m.rid
            """
        )
        if not any(ctx.wants_account(c) for c in profile):
            eng.execute(
                f"""
                INSERT INTO stage_accounts (account_id, platform, source_file, source_line, from_users_file)
                SELECT account_id, 'twitter', {_q(ctx.source.name)}, source_line, false FROM cib_snap
                """
            )
        elif self._count(eng, "SELECT count(*) FROM cib_snap"):
            cols = _account_cols_sql()
            raw = ", ".join(_ident(c) for c in USER_COLUMNS)
            scratch = ("cib_rejects_snap", "cib_reject_scans_snap")
            eng.execute(
                f"""
                CREATE OR REPLACE TEMP TABLE cib_prof AS
                SELECT {_nz('tweetid')} AS _pid, {raw}
                FROM {_read_csv_sql(ctx.source, layout, scratch)}
                WHERE {_nz('tweetid')} IN (SELECT post_id FROM cib_snap)
                """
            )
            # a tweet id repeated in the file: its first record (finalize keeps that one)
            eng.execute(
                f"""
                INSERT INTO stage_accounts ({', '.join(cols)}, source_file, source_line, from_users_file)
                SELECT {', '.join(cols.values())}, {_q(ctx.source.name)}, source_line, false
                FROM (
                    SELECT p.*, s.source_line FROM cib_prof p
                    JOIN cib_snap s ON s.post_id = p._pid AND s.account_id = {_nz('userid')}
                    QUALIFY row_number() OVER (PARTITION BY s.account_id ORDER BY p.rowid) = 1
                )
                """
            )
            for t in ("cib_prof", *scratch):
                eng.execute(f"DROP TABLE IF EXISTS {t}")
        eng.execute("DROP TABLE cib_snap")


READERS: list[Reader] = [IOArchiveUsers(), IOArchiveTweets()]

__all__ = ["IOArchiveTweets", "IOArchiveUsers", "READERS", "TWEET_COLUMNS", "USER_COLUMNS", "header_columns"]
