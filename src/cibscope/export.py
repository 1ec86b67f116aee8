"""Every file cibscope writes for people and other tools: CSV, Parquet, JSON, GEXF, GraphML.

One module, so one rule holds everywhere:

* **CSV cells** (:func:`csv_cell`, and its SQL twin :func:`csv_cell_sql` for the tables DuckDB
  writes; ``tests/test_export.py`` checks they give the same bytes for every type). NULL and
  NaN are the empty cell; booleans ``true``/``false``; numbers as numbers (the shortest text
  that reads back as the same double: a negative score is data, and spreadsheets read
  ``-0.5`` as a number); times ``YYYY-MM-DD HH:MM:SS[.f]`` in UTC; lists and records as JSON.
  Text came from the data under investigation, which an operation controls: a cell such as
  ``=HYPERLINK("http://x", "click")`` or ``@SUM(A1)`` runs as a formula when an analyst opens
  the CSV in Excel or LibreOffice (CSV/formula injection, OWASP), so text starting with one of
  :data:`FORMULA_PREFIXES` gets a leading apostrophe, the mitigation OWASP recommends.
  **Ids are written as they are** (:data:`ID_COLUMNS`): an export must join back to the case
  and to other exports, and ``'+18cN...`` would not. That is safe because ingest refuses ids
  that could run as a formula (:func:`cibscope.ingest.rules.text_id_problem`); an id that
  breaks that rule anyway (a takedown list's line, say) is prefixed like text. A spreadsheet
  may show a hashed id starting with ``+`` or ``-`` as an error (``#NAME?``): open the file
  with columns as text, or read the Parquet/JSON export.
* **Tables** (:func:`write_tables`): each of :data:`EXPORT_QUERIES` as ``NAME.csv``,
  ``NAME.parquet`` and ``NAME.json`` (the CSV and JSON gzipped above :data:`GZIP_ROWS` rows).
* **Graphs** (:func:`network_graph`, :func:`write_gexf`, :func:`write_graphml`): the
  significant network the groups were found on, by layer (``network_layers.gexf``: one edge
  per layer and pair) or fused (``network_fused.gexf``/``.graphml``: one edge per pair).
  Streamed, so a large graph never becomes an XML tree in memory; characters XML 1.0 cannot
  carry are dropped (a NUL in a display name would make the whole file unreadable to Gephi).
* **Output folders** (:func:`out_dir`): a path that is a file is an error, not a traceback.

Same data, same bytes: rows are always ordered, floats written in full (their values are made
deterministic where they are computed), and no file carries the time it was written (the one
place for that is ``cibscope run``'s ``run.json``).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import math
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO
from xml.sax.saxutils import escape, quoteattr

from .errors import InputError
from .progress import Progress, step

if TYPE_CHECKING:
    from .case import Case
    from .engine.base import Engine
    from .networks.multiplex import FusedNetwork

__all__ = [
    "EXPORT_QUERIES",
    "FORMULA_PREFIXES",
    "GZIP_ROWS",
    "Graph",
    "ID_COLUMNS",
    "csv_cell",
    "csv_cell_sql",
    "csv_line",
    "network_graph",
    "out_dir",
    "write_arrow_csv",
    "write_csv",
    "write_detection_outputs",
    "write_exports",
    "write_csv_sql",
    "write_gexf",
    "write_graphml",
    "write_tables",
    "xml_text",
]

# OWASP's list: cells starting with these are interpreted as formulas by spreadsheet apps.
# Tab and carriage return are included because some apps strip them and then see the '='.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

#: Columns that hold ids (or, ``members``, ids separated by spaces): written as they are.
ID_COLUMNS = frozenset(
    {
        "account_id", "post_id", "account_a", "account_b", "post_a", "post_b", "user_1", "user_2",
        "members", "repost_of", "repost_of_account", "reply_to_post", "reply_to_account", "quote_of",
        "other_account", "source", "target",
    }
)

# after a leading sign, a cell holding only these cannot call a function or another program
# (cibscope.ingest.rules's rule for ids, with the space between the ids of ``members``)
_SIGNED_SAFE = r"[A-Za-z0-9+/=_.: -]*"
_re_signed_safe = re.compile(_SIGNED_SAFE)


# ---- the CSV rule -------------------------------------------------------------------------------


def _formula_risk(text: str, id_column: bool) -> bool:
    """Would a spreadsheet run ``text`` as a formula? Any text starting with a formula prefix;
    an id only when it could actually run (see the module docstring)."""
    if not text.startswith(FORMULA_PREFIXES):
        return False
    if not id_column:
        return True
    return text[0] not in "+-" or not _re_signed_safe.fullmatch(text, 1)


def _text_cell(text: str, id_column: bool) -> str:
    return "'" + text if _formula_risk(text, id_column) else text


def _timestamp(t: _dt.datetime) -> str:
    """DuckDB's text of a TIMESTAMP: seconds, then the fraction without trailing zeros."""
    if t.tzinfo is not None:
        t = t.astimezone(_dt.timezone.utc).replace(tzinfo=None)
    s = f"{t.year:04d}-{t.month:02d}-{t.day:02d} {t.hour:02d}:{t.minute:02d}:{t.second:02d}"
    return s + (f".{t.microsecond:06d}".rstrip("0") if t.microsecond else "")


def csv_cell(value: Any, *, id_column: bool = False) -> str:
    """One value as CSV cell text (before CSV quoting), by the rule of the module docstring.

    >>> csv_cell("=1+1"), csv_cell("-x"), csv_cell(-0.5), csv_cell(True), csv_cell(float("nan"))
    ("'=1+1", "'-x", '-0.5', 'true', '')
    >>> csv_cell("+18cN/aB=", id_column=True), csv_cell("=cmd|' /C calc'!A0", id_column=True)
    ('+18cN/aB=', "'=cmd|' /C calc'!A0")
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, _dt.datetime):
        return _timestamp(value)
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, (list, tuple, dict)):
        return _text_cell(_json(value), False)
    return _text_cell(str(value), id_column)


_JSON_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
_re_json_escape = re.compile('["\\\\\x00-\x1f]')


def _json(value: Any) -> str:
    """Compact JSON as DuckDB's ``to_json`` writes it (control characters as ``\\u00XX``,
    upper-case hex), for lists and records in CSV cells."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return '"' + _re_json_escape.sub(lambda m: _JSON_ESCAPES.get(m.group()) or f"\\u{ord(m.group()):04X}", value) + '"'
    if isinstance(value, dict):
        return "{" + ",".join(f"{_json(str(k))}:{_json(v)}" for k, v in value.items()) + "}"
    return "[" + ",".join(_json(v) for v in value) + "]"


_INTEGER_TYPES = frozenset(
    {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT"}
)


def _text_cell_sql(v: str, id_column: bool) -> str:
    firsts = ", ".join(f"chr({ord(p)})" for p in FORMULA_PREFIXES)
    risk = f"left({v}, 1) IN ({firsts})"
    if id_column:
        risk = f"({risk} AND NOT (left({v}, 1) IN ('+', '-') AND regexp_matches({v}, {_lit('^[+-]' + _SIGNED_SAFE + '$')})))"
    return f"CASE WHEN {risk} THEN chr(39) || {v} ELSE {v} END"


def csv_cell_sql(expr: str, type_name: str, *, id_column: bool = False) -> str:
    """SQL twin of :func:`csv_cell` for the column ``expr`` of DuckDB type ``type_name``: the
    cell text (VARCHAR), NULL for the empty cell."""
    t = type_name.upper()
    if t == "BOOLEAN":
        return f"CASE WHEN {expr} THEN 'true' WHEN NOT {expr} THEN 'false' END"
    if t in _INTEGER_TYPES or t.startswith("DECIMAL"):
        return f"CAST({expr} AS VARCHAR)"
    if t in ("DOUBLE", "FLOAT", "REAL"):
        return f"CASE WHEN isnan({expr}) THEN NULL ELSE CAST(CAST({expr} AS DOUBLE) AS VARCHAR) END"
    if t == "DATE":
        return f"CAST({expr} AS VARCHAR)"
    if t in ("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ"):
        return f"CAST(timezone('UTC', {expr}) AS VARCHAR)"
    if t.startswith("TIMESTAMP"):
        return f"CAST(CAST({expr} AS TIMESTAMP) AS VARCHAR)"
    if t.endswith("]") or t.startswith(("STRUCT", "MAP", "UNION")) or t == "JSON":
        return _text_cell_sql(f"CAST(to_json({expr}) AS VARCHAR)", False)
    return _text_cell_sql(f"CAST({expr} AS VARCHAR)", id_column)


def _csv_field(cell: str) -> str:
    if "," in cell or '"' in cell or "\n" in cell or "\r" in cell:
        return '"' + cell.replace('"', '""') + '"'
    return cell


def _csv_field_sql(v: str) -> str:
    return (
        f"CASE WHEN {v} IS NULL THEN '' WHEN contains({v}, ',') OR contains({v}, '\"') OR contains({v}, chr(10)) "
        f"OR contains({v}, chr(13)) THEN '\"' || replace({v}, '\"', '\"\"') || '\"' ELSE {v} END"
    )


def csv_line(values: Sequence[Any], id_columns: Sequence[bool]) -> str:
    """One CSV record (with its newline) of ``values``."""
    return ",".join(_csv_field(csv_cell(v, id_column=i)) for v, i in zip(values, id_columns)) + "\n"


def _is_id(column: str) -> bool:
    return column in ID_COLUMNS


def write_csv(
    path: str | os.PathLike[str],
    rows: Iterable[Mapping[str, Any] | Sequence[Any]],
    columns: Sequence[str],
) -> Path:
    """Write ``rows`` (mappings keyed by column, or sequences in column order) as UTF-8 CSV.

    Every cell goes through :func:`csv_cell` (id columns by :data:`ID_COLUMNS`). Returns the path.
    """
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    ids = [_is_id(c) for c in columns]
    with open(p, "w", newline="", encoding="utf-8") as f:
        f.write(",".join(_csv_field(c) for c in columns) + "\n")
        for row in rows:
            values = [row.get(c) for c in columns] if isinstance(row, Mapping) else list(row)
            f.write(csv_line(values, ids))
    return p


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def csv_select(engine: Engine, sql: str) -> str:
    """SQL selecting each row of ``sql`` as one CSV record (a single column whose name is the
    header record), cells by :func:`csv_cell_sql`."""
    desc = engine.execute(f"SELECT * FROM ({sql}) LIMIT 0").description
    header = ",".join(_csv_field(str(d[0])) for d in desc)
    if not desc:
        return f"SELECT '' AS {_quote_ident(header)} FROM ({sql})"
    # each cell computed once (a level of its own), then quoted: DuckDB does not share the
    # cell's expression between the quoting rule's several uses of it
    cells = ", ".join(f"{csv_cell_sql(_quote_ident(str(d[0])), str(d[1]), id_column=_is_id(str(d[0])))} AS _c{i}" for i, d in enumerate(desc))
    line = f"concat_ws(',', {', '.join(_csv_field_sql(f'_c{i}') for i in range(len(desc)))})"
    return f"SELECT {line} AS {_quote_ident(header)} FROM (SELECT {cells} FROM ({sql}))"


def _copy_csv_sql(engine: Engine, sql: str, path: Path, *, gzip: bool = False) -> str:
    """The COPY statement writing ``sql`` as CSV: the records are built by :func:`csv_select`
    and written as they are (DuckDB's quoting off), so the bytes are the rule's, not the writer's."""
    comp = ", COMPRESSION gzip" if gzip else ""
    return f"COPY ({csv_select(engine, sql)}) TO {_lit(str(path))} (FORMAT csv, HEADER true, QUOTE '', ESCAPE ''{comp})"


def write_csv_sql(engine: Engine, sql: str, path: str | os.PathLike[str], *, gzip: bool = False) -> int:
    """Write the result of ``sql`` (ordered by the query) as CSV with DuckDB; return the row count."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    row = engine.execute(_copy_csv_sql(engine, sql, p, gzip=gzip)).fetchone()
    return int(row[0]) if row else 0


def write_arrow_csv(table: Any, path: str | os.PathLike[str], *, order: Sequence[str] = ()) -> Path:
    """Write an Arrow table as CSV by the rule, for tables of many rows, where the per-cell
    Python of :func:`write_csv` would dominate. Rows keep the table's order, or are sorted by
    ``order``.

    A table of only integer and dictionary-encoded text columns, unsorted (``cibscope network
    --counts``: two account columns and a weight), is written by Arrow: each dictionary value's
    cell is made once by :func:`csv_cell` (a few thousand accounts, not a cell per row), the
    integers cast to text, the records joined column-wise (:func:`_write_arrow_csv_cells`;
    the same bytes as DuckDB's, tested). Any other table goes through DuckDB
    (:func:`_write_arrow_csv_duckdb`)."""
    p = Path(path)
    if not order and _write_arrow_csv_cells(table, p):
        return p
    return _write_arrow_csv_duckdb(table, p, order=order)


#: rows joined into records at a time by :func:`_write_arrow_csv_cells` (bounds its memory)
_ARROW_CSV_ROWS = 1 << 20


def _arrow_csv_types(table: Any) -> bool:
    """Can :func:`_write_arrow_csv_cells` write ``table``: integer and dictionary-encoded text
    columns only, with no more dictionary values than rows (else a cell per row in SQL is
    cheaper; no rows: the header only)?"""
    import pyarrow as pa

    if table.num_columns == 0:
        return False
    for col in table.columns:
        t = col.type
        if pa.types.is_integer(t):
            continue
        if not (pa.types.is_dictionary(t) and (pa.types.is_string(t.value_type) or pa.types.is_large_string(t.value_type))):
            return False
        if table.num_rows and sum(len(c.dictionary) for c in col.chunks) > table.num_rows:
            return False
    return True


def _large_strings(values: Sequence[str]) -> Any:
    """An Arrow ``large_string`` array of ``values`` (no nulls), built from its buffers:
    ``pa.array`` of Python objects or numpy arrays imports pandas (pyarrow checks whether the
    input is a pandas object), ~0.5 s of a `cibscope network --counts` process."""
    import numpy as np
    import pyarrow as pa

    data = [v.encode("utf-8") for v in values]
    offsets = np.zeros(len(data) + 1, dtype=np.int64)
    np.cumsum([len(b) for b in data], out=offsets[1:])
    return pa.Array.from_buffers(pa.large_string(), len(data), [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(data))])


def _write_arrow_csv_cells(table: Any, path: Path) -> bool:
    """Write ``table`` by Arrow when :func:`_arrow_csv_types` takes it; False (and nothing
    written) otherwise. No ``pa.array``/``pa.scalar`` of Python values (see :func:`_large_strings`).

    Each dictionary's values become their cells (rule and quoting, :func:`csv_cell`,
    :func:`_csv_field`), once. When no cell needs quoting (ids rarely hold a comma, a quote or
    a newline) Arrow's CSV writer writes the rows as they are (quoting off: the cells are the
    rule's already) -- multi-threaded, no record strings; else each record is joined from its
    cells (``binary_join_element_wise``)."""
    if not _arrow_csv_types(table):
        return False
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pcsv

    ids = [_is_id(str(c)) for c in table.column_names]
    header = ",".join(_csv_field(str(c)) for c in table.column_names) + "\n"
    consts = _large_strings(["", ",", "\n"])
    empty, comma, newline = consts[0], consts[1], consts[2]
    made: dict[int, tuple[Any, Any, bool]] = {}  # column -> (dictionary, its cells, a cell is quoted), the last made

    def dict_cells(i: int, words: Any) -> tuple[Any, bool]:
        last = made.get(i)
        if last is None or not last[0].equals(words):
            cells = [_csv_field(csv_cell(w, id_column=ids[i])) for w in words.to_pylist()]
            last = made[i] = (words, _large_strings(cells), any(c.startswith('"') for c in cells))
        return last[1], last[2]

    path.parent.mkdir(parents=True, exist_ok=True)
    options = pcsv.WriteOptions(include_header=False, quoting_style="none")
    with open(path, "wb") as f:
        f.write(header.encode("utf-8"))
        for batch in table.to_batches(max_chunksize=_ARROW_CSV_ROWS):
            if batch.num_rows == 0:
                continue
            cols, quoted = [], False
            for i, col in enumerate(batch.columns):
                if pa.types.is_integer(col.type):  # str(int), as csv_cell and DuckDB's CAST(x AS VARCHAR)
                    cols.append(col)
                else:
                    cells, q = dict_cells(i, col.dictionary)
                    quoted |= q
                    cols.append(pa.DictionaryArray.from_arrays(col.indices, cells))
            if not quoted:  # NULL: Arrow writes the empty cell
                f.flush()
                pcsv.write_csv(pa.RecordBatch.from_arrays(cols, names=[f"c{i}" for i in range(len(cols))]), f, options)
                continue
            import pyarrow.compute as pc

            parts = []
            for col in cols:
                cell = col.cast(pa.large_string()) if pa.types.is_integer(col.type) else col.dictionary.take(col.indices)
                parts.append(pc.fill_null(cell, empty) if cell.null_count else cell)  # NULL: the empty cell
            lines = pc.binary_join_element_wise(*parts, comma)
            lines = pc.binary_join_element_wise(lines, empty, newline)  # each record and its newline
            _, offsets, data = lines.buffers()
            o = np.frombuffer(offsets, dtype=np.int64)[lines.offset : lines.offset + len(lines) + 1]
            f.write(memoryview(data)[int(o[0]) : int(o[-1])])
    return True


def _write_arrow_csv_duckdb(table: Any, path: Path, *, order: Sequence[str] = ()) -> Path:
    """:func:`write_arrow_csv` through DuckDB (any table)."""
    from .engine.duckdb import scratch

    engine = scratch(threads=1)  # one thread: rows in the table's order
    try:
        engine.register_arrow("_cib_out", table)
        by = f" ORDER BY {', '.join(map(_quote_ident, order))}" if order else ""
        write_csv_sql(engine, f"SELECT * FROM _cib_out{by}", path)
    finally:
        engine.close()
    return Path(path)


# ---- tables ---------------------------------------------------------------------------------------

# name -> (SQL, table that must have rows for the export to be written). Every query is ordered.
EXPORT_QUERIES: dict[str, tuple[str, str]] = {
    "accounts": (
        """SELECT a.account_id, a.platform, a.screen_name, a.display_name, a.description, a.location,
                  a.follower_count, a.following_count, a.created_at, a.account_language,
                  s.score, coalesce(s.flagged, false) AS flagged, s.group_id, m.role AS group_role,
                  g.verdict AS group_verdict, s.top_reasons, a.source_file, a.source_line
           FROM accounts a LEFT JOIN scores s USING (account_id)
           LEFT JOIN group_members m ON m.account_id = s.account_id AND m.group_id = s.group_id
           LEFT JOIN groups g ON g.group_id = s.group_id
           ORDER BY s.score DESC NULLS LAST, a.account_id""",
        "accounts",
    ),
    "groups": (
        """SELECT g.group_id, g.verdict, g.flagged, g.size, g.core_size, g.signals, g.statistic, g.e_value, g.q_value,
                  g.strength, g.cohesion, g.start_at, g.end_at, g.median_seconds, g.precision_mix, g.layers, g.top_items,
                  (SELECT string_agg(m.account_id, ' ' ORDER BY m.account_id) FROM group_members m
                   WHERE m.group_id = g.group_id) AS members
           FROM groups g ORDER BY coalesce(g.flagged, false) DESC, g.size DESC, g.group_id""",
        "groups",
    ),
    "verdicts": (
        """SELECT v.account_id, a.screen_name, a.display_name, coalesce(a.is_hashed, false) AS hashed, v.* EXCLUDE (account_id)
           FROM audit_verdicts v
           LEFT JOIN (SELECT account_id, min(screen_name) AS screen_name, min(display_name) AS display_name, bool_or(is_hashed) AS is_hashed
                      FROM accounts GROUP BY account_id) a USING (account_id)
           ORDER BY v.account_id""",
        "audit_verdicts",
    ),
    "claims": ("SELECT * FROM claim_results ORDER BY claim_id", "claim_results"),
    # the rows behind each claim's measure, with names and the source file:line (audit's claim_rows.csv)
    "claim_rows": (
        """SELECT r.claim_id, r.account_id, a.screen_name, a.display_name, r.post_id, r.value,
                  coalesce(p.source_file, a.source_file) AS source_file, coalesce(p.source_line, a.source_line) AS source_line
           FROM claim_rows r
           LEFT JOIN (SELECT account_id, min(screen_name) AS screen_name, min(display_name) AS display_name,
                             arg_min(source_file, (source_file, source_line)) AS source_file,
                             arg_min(source_line, (source_file, source_line)) AS source_line
                      FROM accounts GROUP BY account_id) a USING (account_id)
           LEFT JOIN posts p ON p.post_id = r.post_id
           ORDER BY r.claim_id, r.account_id, r.post_id""",
        "claim_rows",
    ),
    "evidence": (
        """SELECT e.*, pa.text AS text_a, pb.text AS text_b
           FROM evidence e LEFT JOIN posts pa ON pa.post_id = e.post_a LEFT JOIN posts pb ON pb.post_id = e.post_b
           ORDER BY e.evidence_id""",
        "evidence",
    ),
}

# Above this many rows CSV and JSON are gzipped: the evidence of a million-post case is ~1M rows
# (0.5 GB of CSV, 0.7 GB of JSON uncompressed); no spreadsheet opens that anyway, and
# pandas/DuckDB read the .gz directly. Parquet is always written (zstd), and is the smallest.
GZIP_ROWS = 200_000


def _format_name(f: Path) -> str:
    return f.name.split(".", 1)[1].upper().replace(".GZ", " (gzip)")


def write_tables(
    case: Case, out: Path, *, names: Sequence[str] | None = None, formats: Sequence[str] = ("csv", "parquet", "json"),
    progress: Progress | None = None,
) -> list[dict[str, Any]]:
    """Write each export of :data:`EXPORT_QUERIES` (or of ``names``) that has rows into ``out``,
    as ``NAME.csv``, ``NAME.parquet`` and ``NAME.json`` (an array of objects), or the
    ``formats`` asked for; return what was written (name, rows, files)."""
    out = out_dir(out)
    todo = [
        (n, q) for n, (q, t) in EXPORT_QUERIES.items()
        if (names is None or n in names) and case.table_exists(t) and case.count(t) > 0
    ]
    written: list[dict[str, Any]] = []
    with step(progress, "exports: tables", len(todo)) as h:
        plans = []
        for name, sql in todo:
            big = int(case.engine.execute(f"SELECT count(*) FROM ({sql})").fetchone()[0]) > GZIP_ROWS  # type: ignore[index]
            gz = ".gz" if big else ""
            files: list[Path] = []
            statements: list[str] = []
            for fmt in formats:
                if fmt == "csv":
                    files.append(out / f"{name}.csv{gz}")
                    (out / f"{name}.csv{'' if big else '.gz'}").unlink(missing_ok=True)  # stale, of a previous size
                    statements.append(_copy_csv_sql(case.engine, sql, files[-1], gzip=big))
                elif fmt == "parquet":
                    files.append(out / f"{name}.parquet")
                    statements.append(f"COPY ({sql}) TO {_lit(str(files[-1]))} (FORMAT parquet, COMPRESSION zstd)")
                elif fmt == "json":
                    files.append(out / f"{name}.json{gz}")
                    (out / f"{name}.json{'' if big else '.gz'}").unlink(missing_ok=True)
                    comp = ", COMPRESSION gzip" if big else ""
                    statements.append(f"COPY ({sql}) TO {_lit(str(files[-1]))} (FORMAT json, ARRAY true{comp})")
            plans.append((name, files, statements))
        # gzip runs on one thread per file in DuckDB: two files at a time keep both cores busy.
        from .engine.duckdb import execute_parallel

        counts = execute_parallel(case.engine, [st for _, _, sts in plans for st in sts])
        k = 0
        for name, files, sts in plans:
            written.append(
                {"name": name, "rows": counts[k],
                 "files": [{"format": _format_name(f), "file": f.name, "size": f.stat().st_size} for f in files]}
            )
            k += len(sts)
            h.advance()
    return written


# ---- graphs -----------------------------------------------------------------------------------------

_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value: Any) -> str:
    """A value as text XML 1.0 can carry: C0 controls (other than tab, LF, CR), lone surrogates
    and U+FFFE/U+FFFF are not allowed at all and would make Gephi refuse the file, so they are
    dropped (escaping is the writer's)."""
    return _XML_BAD.sub("", "" if value is None else str(value))


@dataclass
class Graph:
    """An undirected graph to write: ``nodes`` (mappings with ``id``, ``label`` and the
    attributes), ``edges`` (``source``, ``target``, ``weight``, optional ``kind`` for parallel
    edges, and the attributes), attribute names with their types (``string``, ``long``,
    ``double``, ``boolean``)."""

    nodes: list[dict[str, Any]]
    edges: list[dict[str, Any]]
    node_attrs: list[tuple[str, str]]
    edge_attrs: list[tuple[str, str]]
    description: str = ""
    info: dict[str, Any] = field(default_factory=dict)


NODE_ATTRS = [("screen_name", "string"), ("display_name", "string"), ("score", "double"), ("flagged", "boolean"), ("group", "long")]


def network_graph(
    case: Case, mode: str = "layers", *, net: FusedNetwork | None = None, max_edges: int = 250_000
) -> Graph:
    """The significant network the groups were found on (the multiplex's per-layer edges, see
    :func:`cibscope.networks.multiplex.fuse_layers`), for Gephi.

    ``mode="layers"``: one edge per layer and pair (GEXF parallel edges, ``kind`` = layer),
    ``weight`` = ``max(w_layer * s, 0.1)`` (chance-level links still pull in layouts),
    attributes ``layer``, ``strength`` (``w_layer * s``), ``n_shared``, ``p_value``.
    ``mode="fused"``: one edge per pair, ``weight`` = the fused weight (sum over layers of
    ``w_layer * s``), attributes ``n_layers``, ``layers`` and ``w_LAYER`` (that layer's
    ``w_layer * s``) so Gephi can filter on a trace.
    Nodes: the accounts on an edge and every flagged account, label = screen name (else the
    id), attributes ``screen_name``, ``display_name``, ``score``, ``flagged``, ``group``.
    Above ``max_edges`` edges, edges inside groups are kept first, then the strongest (Gephi's
    layouts do not cope with millions of edges).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if mode not in ("layers", "fused"):
        raise ValueError(f"mode must be 'layers' or 'fused', not {mode!r}")
    if net is None:
        net = _stored_network(case)
    engine = case.engine
    le = net.layer_edges.append_column("w_s", pc.multiply(net.layer_edges.column("layer_weight"), net.layer_edges.column("strength")))
    if mode == "layers":
        le = _strongest(case, le, "w_s", max_edges)
        cols = [le.column(c).to_pylist() for c in ("layer", "account_a", "account_b", "n_shared", "p_value", "w_s")]
        edges = [
            {"source": a, "target": b, "kind": layer, "weight": max(float(st), 0.1), "layer": layer, "strength": float(st),
             "n_shared": int(n) if n is not None else None, "p_value": float(p)}
            for layer, a, b, n, p, st in zip(*cols)
        ]
        edge_attrs = [("layer", "string"), ("strength", "double"), ("n_shared", "long"), ("p_value", "double")]
        description = "cibscope: significant coordination edges, one per layer and pair"
    else:
        fu = _strongest(case, net.fused, "weight", max_edges)
        # each kept pair's layers: its w_layer * s per layer and its shared items
        engine.register_arrow("_cib_gfu", fu.select(["account_a", "account_b"]))
        engine.register_arrow("_cib_gle", le.select(["layer", "account_a", "account_b", "n_shared", "w_s"]))
        try:
            per_pair = {
                (a, b): (dict(zip(ls, ws)), int(n or 0))
                for a, b, ls, ws, n in engine.execute(
                    """SELECT e.account_a, e.account_b, list(e.layer ORDER BY e.layer), list(e.w_s ORDER BY e.layer), sum(e.n_shared)
                       FROM _cib_gle e SEMI JOIN _cib_gfu f ON f.account_a = e.account_a AND f.account_b = e.account_b
                       GROUP BY 1, 2"""
                ).fetchall()
            }
        finally:
            engine.unregister("_cib_gfu")
            engine.unregister("_cib_gle")
        edges = []
        for a, b, w, nl, ls in zip(*(fu.column(c).to_pylist() for c in ("account_a", "account_b", "weight", "n_layers", "layers"))):
            by_layer, n_shared = per_pair.get((a, b), ({}, 0))
            e: dict[str, Any] = {"source": a, "target": b, "weight": float(w), "n_layers": int(nl), "layers": ls, "n_shared": n_shared}
            e.update({f"w_{layer}": v for layer, v in by_layer.items()})
            edges.append(e)
        edge_attrs = [("n_layers", "long"), ("layers", "string"), ("n_shared", "long")] + [(f"w_{layer}", "double") for layer in net.layers]
        description = "cibscope: fused coordination network, one edge per pair"
    ends = sorted({e["source"] for e in edges} | {e["target"] for e in edges})
    engine.register_arrow("_cib_ends", pa.table({"account_id": pa.array(ends, pa.string())}))
    try:
        rows = engine.execute(
            """
            WITH ids AS (SELECT account_id FROM _cib_ends UNION SELECT account_id FROM scores WHERE flagged)
            SELECT ids.account_id, a.screen_name, a.display_name, s.score, coalesce(s.flagged, false), s.group_id
            FROM ids LEFT JOIN accounts a USING (account_id) LEFT JOIN scores s USING (account_id)
            ORDER BY ids.account_id
            """
        ).fetchall()
    finally:
        engine.unregister("_cib_ends")
    nodes = [
        {"id": r[0], "label": r[1] or r[0], "screen_name": r[1], "display_name": r[2],
         "score": float(r[3]) if r[3] is not None else None, "flagged": bool(r[4]), "group": int(r[5]) if r[5] is not None else None}
        for r in rows
    ]
    return Graph(nodes, edges, list(NODE_ATTRS), edge_attrs, description, {"mode": mode})


def _strongest(case: Case, table: Any, weight: str, n: int) -> Any:
    """``table`` (edges with ``account_a``, ``account_b`` and the column ``weight``), or, when it
    has more than ``n`` rows, the ``n`` kept for a readable graph: edges inside a group first,
    then the strongest (then the first), in their order. No Python object per edge: at 10M
    tweets there are millions of significant edges."""
    import pyarrow as pa

    if table.num_rows <= n:
        return table
    engine = case.engine
    engine.register_arrow("_cib_gedges", table.append_column("_i", pa.array(range(table.num_rows), pa.int64())))
    try:
        keep = [r[0] for r in engine.execute(
            f"""SELECT e._i FROM _cib_gedges e
                LEFT JOIN (SELECT account_id, min(group_id) AS g FROM group_members GROUP BY 1) ma ON ma.account_id = e.account_a
                LEFT JOIN (SELECT account_id, min(group_id) AS g FROM group_members GROUP BY 1) mb ON mb.account_id = e.account_b
                ORDER BY coalesce(ma.g = mb.g, false) DESC, e.{_quote_ident(weight)} DESC, e._i LIMIT {int(n)}"""
        ).fetchall()]
    finally:
        engine.unregister("_cib_gedges")
    return table.take(pa.array(sorted(keep), pa.int64()))


def _stored_network(case: Case) -> FusedNetwork:
    """The multiplex network of the case's last detection run (its parameters)."""
    from .networks.multiplex import fuse_layers
    from .pipeline import DetectConfig, last_config, last_n_tests

    cfg = last_config(case) or DetectConfig.from_params({})
    return fuse_layers(case, cfg.multiplex, n_tests=last_n_tests(case))


def _value(value: Any, kind: str) -> str:
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "double":
        x = float(value)
        return repr(x) if math.isfinite(x) else "0.0"
    if kind == "long":
        return str(int(value))
    return xml_text(value)


@contextlib.contextmanager
def _writing(target: str | os.PathLike[str] | TextIO) -> Iterator[TextIO]:
    """``target`` itself when it is an open text file, else the file at that path, opened for
    writing (its folder created) and closed after."""
    if hasattr(target, "write"):
        yield target  # type: ignore[misc]
        return
    p = Path(target)  # type: ignore[arg-type]
    p.parent.mkdir(parents=True, exist_ok=True)
    with open(p, "w", encoding="utf-8", newline="\n") as f:
        yield f


def _path_of(target: str | os.PathLike[str] | TextIO) -> Path | None:
    return None if hasattr(target, "write") else Path(target)  # type: ignore[arg-type]


def write_gexf(target: str | os.PathLike[str] | TextIO, graph: Graph) -> Path | None:
    """GEXF 1.3 (Gephi's own format), undirected, with node and edge attributes; returns the
    path when given one."""
    with _writing(target) as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n<gexf xmlns="http://gexf.net/1.3" version="1.3">\n')
        f.write(f"  <meta><creator>cibscope</creator><description>{escape(xml_text(graph.description))}</description></meta>\n")
        f.write('  <graph defaultedgetype="undirected" mode="static">\n')
        for cls, attrs in (("node", graph.node_attrs), ("edge", graph.edge_attrs)):
            f.write(f'    <attributes class="{cls}">\n')
            for i, (name, kind) in enumerate(attrs):
                f.write(f'      <attribute id="{i}" title={quoteattr(xml_text(name))} type="{kind}"/>\n')
            f.write("    </attributes>\n")
        f.write("    <nodes>\n")
        for n in graph.nodes:
            f.write(f"      <node id={quoteattr(xml_text(n['id']))} label={quoteattr(xml_text(n.get('label') or n['id']))}>")
            _gexf_attvalues(f, graph.node_attrs, n)
            f.write("</node>\n")
        f.write("    </nodes>\n    <edges>\n")
        for k, e in enumerate(graph.edges):
            kind = f" kind={quoteattr(xml_text(e['kind']))} label={quoteattr(xml_text(e['kind']))}" if e.get("kind") is not None else ""
            f.write(
                f'      <edge id="{k}" source={quoteattr(xml_text(e["source"]))} target={quoteattr(xml_text(e["target"]))}'
                f' weight="{_value(e.get("weight", 1.0), "double")}"{kind}>'
            )
            _gexf_attvalues(f, graph.edge_attrs, e)
            f.write("</edge>\n")
        f.write("    </edges>\n  </graph>\n</gexf>\n")
    return _path_of(target)


def _gexf_attvalues(f: TextIO, attrs: list[tuple[str, str]], row: Mapping[str, Any]) -> None:
    vals = [(i, kind, row.get(name)) for i, (name, kind) in enumerate(attrs) if row.get(name) is not None]
    if vals:
        f.write("<attvalues>")
        for i, kind, v in vals:
            f.write(f'<attvalue for="{i}" value={quoteattr(_value(v, kind))}/>')
        f.write("</attvalues>")


_GRAPHML_TYPES = {"string": "string", "double": "double", "boolean": "boolean", "long": "long"}


def write_graphml(target: str | os.PathLike[str] | TextIO, graph: Graph) -> Path | None:
    """GraphML, undirected, with the same attributes as :func:`write_gexf` (and ``weight``)."""
    with _writing(target) as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n<graphml xmlns="http://graphml.graphdrawing.org/xmlns">\n')
        for i, (name, kind) in enumerate(graph.node_attrs):
            f.write(f'  <key id="n{i}" for="node" attr.name={quoteattr(xml_text(name))} attr.type="{_GRAPHML_TYPES[kind]}"/>\n')
        edge_attrs = [("weight", "double"), *graph.edge_attrs]
        for i, (name, kind) in enumerate(edge_attrs):
            f.write(f'  <key id="e{i}" for="edge" attr.name={quoteattr(xml_text(name))} attr.type="{_GRAPHML_TYPES[kind]}"/>\n')
        f.write('  <graph id="cibscope" edgedefault="undirected">\n')
        for n in graph.nodes:
            f.write(f"    <node id={quoteattr(xml_text(n['id']))}>")
            for i, (name, kind) in enumerate(graph.node_attrs):
                if n.get(name) is not None:
                    f.write(f'<data key="n{i}">{escape(_value(n[name], kind))}</data>')
            f.write("</node>\n")
        for e in graph.edges:
            f.write(f"    <edge source={quoteattr(xml_text(e['source']))} target={quoteattr(xml_text(e['target']))}>")
            for i, (name, kind) in enumerate(edge_attrs):
                if e.get(name) is not None:
                    f.write(f'<data key="e{i}">{escape(_value(e[name], kind))}</data>')
            f.write("</edge>\n")
        f.write("  </graph>\n</graphml>\n")
    return _path_of(target)


# ---- what detect and the report write ---------------------------------------------------------------


def write_detection_outputs(
    case: Case, out: str | os.PathLike[str], *, net: FusedNetwork | None = None, max_gexf_edges: int = 250_000
) -> dict[str, Path]:
    """``detect --out``: ``accounts.csv`` and ``groups.csv`` (the report's exports of the same
    name), ``edges.parquet`` (every row of ``edges``) and ``network_layers.gexf``."""
    o = out_dir(out)
    outputs: dict[str, Path] = {}
    for w in write_tables(case, o, names=("accounts", "groups"), formats=("csv",)):
        outputs[w["name"]] = o / w["files"][0]["file"]
    epath = o / "edges.parquet"
    case.engine.execute(f"COPY (SELECT * FROM edges ORDER BY layer, account_a, account_b) TO {_lit(str(epath))} (FORMAT parquet)")
    outputs["edges"] = epath
    graph = network_graph(case, "layers", net=net, max_edges=max_gexf_edges)
    outputs["network"] = write_gexf(o / "network_layers.gexf", graph)  # type: ignore[assignment]
    return outputs


#: what ``write_exports`` can write: table formats, and GraphML (the fused network; GEXF always)
EXPORT_FORMATS = ("parquet", "csv", "json", "graphml")
#: the report's default: one table format (Parquet: the smallest, typed, read by pandas, R,
#: DuckDB, Excel via Power Query); CSV and JSON of a million-post case's evidence are 100s of MB
DEFAULT_EXPORT_FORMATS = ("parquet",)


def write_exports(
    case: Case, out: str | os.PathLike[str], *, formats: Sequence[str] = DEFAULT_EXPORT_FORMATS, progress: Progress | None = None
) -> list[dict[str, Any]]:
    """The report's ``exports/``: every table of :data:`EXPORT_QUERIES` with rows, in the table
    ``formats`` asked for (Parquet by default; ``csv``, ``json`` on request) and, when the case
    has edges, the network by layer and fused as GEXF (and fused as GraphML with ``graphml``);
    returns what was written, for the report's list. Files of the same names in other formats
    (an earlier run's) are removed, so the folder holds what the list says."""
    o = out_dir(out)
    table_formats = [f for f in ("csv", "parquet", "json") if f in formats]
    for name in EXPORT_QUERIES:
        for ext in ("csv", "csv.gz", "json", "json.gz", "parquet"):
            if ext.split(".")[0] not in table_formats:
                (o / f"{name}.{ext}").unlink(missing_ok=True)
    written = write_tables(case, o, formats=table_formats, progress=progress) if table_formats else []
    if "graphml" not in formats:
        (o / "network_fused.graphml").unlink(missing_ok=True)
    if case.count("edges") > 0:
        with step(progress, "exports: networks"):
            net = _stored_network(case)
            layers = write_gexf(o / "network_layers.gexf", network_graph(case, "layers", net=net))
            fused = network_graph(case, "fused", net=net)
            files = [layers, write_gexf(o / "network_fused.gexf", fused)]
            if "graphml" in formats:
                files.append(write_graphml(o / "network_fused.graphml", fused))
        written.append(
            {"name": "network (by layer; fused)", "rows": len(fused.edges),
             "files": [{"format": p.name.split(".", 1)[1].upper() + (" (by layer)" if "layers" in p.name else " (fused)"),
                        "file": p.name, "size": p.stat().st_size} for p in files if p is not None]}
        )
    else:
        for name in ("network_layers.gexf", "network_fused.gexf", "network_fused.graphml"):
            (o / name).unlink(missing_ok=True)
    return written


# ---- folders -------------------------------------------------------------------------------------


def out_dir(path: str | os.PathLike[str]) -> Path:
    """The output folder ``path``, created if absent; an :class:`InputError` when it (or a
    folder above it) is a file or cannot be created."""
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise InputError("the output folder is a file", file=str(p), hint="give a folder (it is created if absent)")
    try:
        p.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as e:
        raise InputError("the output folder cannot be created: a part of its path is a file", file=str(p)) from e
    except OSError as e:
        raise InputError(f"the output folder cannot be created ({e.strerror or e})", file=str(p)) from e
    return p
