"""Generic CSV/Parquet reader: other platforms' exports, described by a TOML column mapping.

The mapping says which source column holds the account id, the post id, the time (and how to
parse it), the text, the links between posts (repost-of, reply-to, quote-of), the entity lists
(hashtags, URLs, mentions: a column with a separator, or extracted from the text) and the
platform. ``docs/formats.md`` documents every key; presets for public data sets ship in
``cibscope/ingest/mappings/`` and are selected by name (``--mapping coortweet``).

The generic reader never claims an arbitrary CSV: without ``--mapping`` it only recognises a
file whose header is exactly the header of a shipped preset.

How a file is read
------------------
* CSV is parsed by DuckDB ``read_csv`` (every column VARCHAR, no dialect sniffing, rejects
  stored): malformed records (wrong field count, unterminated quote, bad encoding) are
  quarantined with DuckDB's error. DuckDB numbers records, not physical lines, so a quick pass
  over the file maps record numbers to the physical line where each record starts (records with
  quoted newlines span several lines; blank lines are records DuckDB skips).
* Parquet is read by ``read_parquet``; ``source_line`` is the row number + 1.
* Conversion (ids, times, entity lists, kinds, account snapshots) is SQL in the same statement
  as the parse: one table (``_g_conv``) of converted values, the reason a row cannot be kept
  and, for those rows only, the record as CSV. Physical lines are filled in afterwards. The
  table then *becomes* ``stage_posts`` (:func:`.base.become_stage_posts`): no second copy.
  Rows whose account id, post id or time is missing or unparseable, or whose ids were mangled
  into float notation (``1.2e+18``, ``123.0``: 64-bit ids lose digits that way), are quarantined.
* A lean read (``ReadContext.fields``) converts only the fields asked for; the others are
  constant NULLs in the statement, not stored, and left out of ``stage_posts`` (finalize reads
  a missing stage column as NULL).
"""

from __future__ import annotations

import csv
import dataclasses
import gzip
import io
import re
import tomllib
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa

from ..engine.duckdb import DuckDBEngine, Error as DuckDBError
from ..errors import InputError, MissingColumnsError
from ..params import Options, validate
from ..progress import step
from ..schema import POST_KINDS, TIME_PRECISIONS
from . import rules
from .base import (
    STAGE_POSTS, ReadContext, Reader, Source, become_stage_posts, embedded_newlines_sql, finalize_may_quarantine, is_utf8_file,
    sql_ident, trimmed_sql,
)

__all__ = ["READERS", "GenericAccounts", "GenericTable", "Mapping", "EntitySpec", "load_mapping", "parse_mapping", "presets"]

RAW_LIMIT = 4096

POST_FIELDS = (
    "post_id",
    "account_id",
    "text",
    "lang",
    "client",
    "repost_of",
    "repost_of_account",
    "reply_to_post",
    "reply_to_account",
    "quote_of",
    "like_count",
    "repost_count",
    "reply_count",
    "quote_count",
    "latitude",
    "longitude",
    "platform",
)
ID_FIELDS = ("post_id", "account_id", "repost_of", "repost_of_account", "reply_to_post", "reply_to_account", "quote_of")
COUNT_FIELDS = ("like_count", "repost_count", "reply_count", "quote_count")
ACCOUNT_FIELDS = (
    "screen_name",
    "display_name",
    "description",
    "location",
    "profile_url",
    "follower_count",
    "following_count",
    "created_at",
    "account_language",
)
TIME_FORMATS = ("epoch_s", "epoch_ms", "iso")  # or a strptime pattern (contains '%')
ENTITY_KINDS = ("hashtags", "urls", "mentions", "domains", "images")
TEXT_ENTITY_KINDS = ("hashtags", "urls", "mentions")  # the kinds "from_text" can extract
ROW_REPEATS = ("quarantine", "merge")
_TOP_KEYS = {"name", "description", "table", "platform", "platform_prefix", "match", "csv", "columns", "time", "kind", "entities", "account", "rows"}
TABLES = ("posts", "accounts")  # what a file's rows are: posts (with account snapshots) or accounts
HASHED = (True, False, "id_equals_names")  # [account] hashed


@dataclass(frozen=True)
class EntitySpec:
    """Where one entity list comes from: a column split on ``separator``, or the post text."""

    column: str | None = None
    separator: str = ","
    from_text: bool = False


@dataclass(frozen=True)
class Mapping:
    """A parsed, validated column mapping (see ``docs/formats.md`` for the TOML keys)."""

    name: str
    time_column: str
    time_format: str = "iso"
    time_precision: str | None = None
    time_zone: str | None = None
    time_shift: dict[str, float] = field(default_factory=dict)  # platform -> seconds added to its times
    columns: dict[str, str] = field(default_factory=dict)  # stage_posts field -> source column
    platform: str | None = None  # constant; columns["platform"] wins when given
    # [platform_prefix]: the platform named by a prefix of a column's values (wins over both)
    platform_prefix_column: str | None = None
    platform_prefixes: dict[str, str] = field(default_factory=dict)
    kind_column: str | None = None
    kind_values: dict[str, str] = field(default_factory=dict)
    entities: dict[str, EntitySpec] = field(default_factory=dict)
    account: dict[str, str] = field(default_factory=dict)  # account field -> source column
    account_created_at_format: str = "iso"
    hashed: bool | str = False  # or "id_equals_names": hashed where id = handle = display name (the IO archive's mark)
    header: tuple[str, ...] | None = None  # presets: the exact header that selects this mapping
    merge_repeats: bool = False  # [rows] repeats = "merge": rows repeating a post id add entities to it
    delimiter: str = ","
    quote: str = '"'
    escape: str = '"'
    encoding: str = "utf-8"
    description: str = ""
    path: str | None = None
    table: str = "posts"  # "accounts": one row per account, no post fields (time_column is "")

    def source_columns(self, fields: frozenset[str] | None = None) -> list[str]:
        """Every source column the mapping reads, in a stable order, once each; with
        ``fields`` (stage_posts fields, see ReadContext.fields) only those they need."""

        def wants(f: str) -> bool:
            return fields is None or f in fields

        if self.table == "accounts":
            cols = [self.columns[f] for f in ("account_id", "platform") if f in self.columns]
            if self.platform_prefix_column:
                cols.append(self.platform_prefix_column)
            cols += [self.account[f] for f in ACCOUNT_FIELDS if f in self.account]
            return list(dict.fromkeys(cols))
        cols = [self.columns[f] for f in POST_FIELDS if f in self.columns and wants(f)]
        cols.append(self.time_column)
        if self.platform_prefix_column:
            cols.append(self.platform_prefix_column)
        if self.kind_column:
            cols.append(self.kind_column)
        for kind, e in self.entities.items():
            if e.column and wants(kind):
                cols.append(e.column)
            elif e.from_text and wants(kind) and "text" in self.columns:
                cols.append(self.columns["text"])
        if "post_id" not in self.columns and "text" in self.columns:
            cols.append(self.columns["text"])  # part of the generated post id
        cols += [self.account[f] for f in ACCOUNT_FIELDS if f in self.account]
        return list(dict.fromkeys(cols))

    @property
    def label(self) -> str:
        return f"{'generic-accounts' if self.table == 'accounts' else 'generic'} (mapping {self.name!r})"


# ---- loading mappings -------------------------------------------------------------------------


def presets() -> dict[str, Path]:
    """Shipped preset mappings by name (the TOML file name without .toml)."""
    folder = resources.files(__package__) / "mappings"
    out: dict[str, Path] = {}
    for entry in folder.iterdir():
        if entry.name.endswith(".toml"):
            out[entry.name[: -len(".toml")]] = Path(str(entry))
    return dict(sorted(out.items()))


def load_mapping(path: str | Path | Mapping) -> Mapping:
    """Load a mapping from a TOML file, or a shipped preset by name (``coortweet``, ``clemson-ira``)."""
    if isinstance(path, Mapping):
        return path
    p = Path(path)
    if not p.is_file():
        name = p.name[: -len(".toml")] if p.name.endswith(".toml") else p.name
        found = presets().get(name)
        if found is None or len(p.parts) > 1:
            raise InputError(
                "no such mapping file or preset",
                file=str(path),
                hint=f"give a TOML mapping file or a preset name: {', '.join(presets())}",
            )
        p = found
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise InputError(f"not a valid TOML mapping ({e})", file=str(p)) from e
    return parse_mapping(data, name=p.name[: -len(".toml")] if p.name.endswith(".toml") else p.name, path=str(p))


def _table(data: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise InputError(f"[{key}] must be a table", file=where)
    return value


def _check_keys(table: dict[str, Any], allowed: Iterable[str], section: str, where: str) -> None:
    unknown = sorted(set(table) - set(allowed))
    if unknown:
        raise InputError(
            f"unknown key(s) in {section}: {', '.join(unknown)}",
            file=where,
            hint=f"allowed keys in {section}: {', '.join(sorted(allowed))}",
        )


def _str_values(table: dict[str, Any], section: str, where: str) -> dict[str, str]:
    for k, v in table.items():
        if not isinstance(v, str) or not v:
            raise InputError(f"{section}.{k} must be a column name (a non-empty string), got {v!r}", file=where)
    return dict(table)


def parse_mapping(data: dict[str, Any], *, name: str = "mapping", path: str | None = None) -> Mapping:
    """Validate a mapping given as a dict (the parsed TOML) and return a :class:`Mapping`."""
    where = path or name
    _check_keys(data, _TOP_KEYS, "the mapping", where)
    table = data.get("table", "posts")
    if table not in TABLES:
        raise InputError(f"table must be \"posts\" or \"accounts\" (what one row of the file is), got {table!r}", file=where)
    columns = _str_values(_table(data, "columns", where), "columns", where)
    if table == "accounts":
        # an account file: one row per account; no post time, kinds, entities or repeats
        _check_keys(columns, ("account_id", "platform"), "[columns] of an accounts mapping", where)
        for section in ("time", "kind", "entities", "rows"):
            if section in data:
                raise InputError(
                    f"[{section}] is for posts: an accounts mapping (table = \"accounts\") has none", file=where,
                    hint="map the account fields under [account]; an accounts file has one row per account",
                )
    _check_keys(columns, POST_FIELDS, "[columns]", where)
    if "account_id" not in columns:
        raise InputError("[columns] must map account_id", file=where)
    time = _table(data, "time", where) if table == "posts" else {"column": ""}
    _check_keys(time, ("column", "format", "precision", "timezone", "platform_shift"), "[time]", where)
    shift = time.get("platform_shift", {})
    if not isinstance(shift, dict) or not all(
        isinstance(k, str) and k and isinstance(v, (int, float)) and not isinstance(v, bool) for k, v in shift.items()
    ):
        raise InputError("[time] platform_shift must be a table of platform = seconds to add (e.g. { facebook = -14400 })", file=where)
    if not isinstance(time.get("column"), str):
        raise InputError("[time] must give column = the source column holding the post time", file=where)
    fmt = time.get("format", "iso")
    if not isinstance(fmt, str) or (fmt not in TIME_FORMATS and "%" not in fmt):
        raise InputError(
            f"[time] format must be one of {', '.join(TIME_FORMATS)} or a strptime pattern with %-codes, got {fmt!r}",
            file=where,
        )
    validate(f"mapping {name!r} [time]", {"precision": Options(TIME_PRECISIONS)}, {k: v for k, v in time.items() if k == "precision"})
    platform = data.get("platform")
    if platform is not None and (not isinstance(platform, str) or not platform):
        raise InputError("platform must be a non-empty string (a constant such as 'telegram')", file=where)
    prefix = _table(data, "platform_prefix", where)
    _check_keys(prefix, ("column", "values"), "[platform_prefix]", where)
    prefixes = prefix.get("values", {})
    if prefix and (
        not isinstance(prefix.get("column"), str) or not isinstance(prefixes, dict) or not prefixes
        or not all(isinstance(k, str) and k and isinstance(v, str) and v for k, v in prefixes.items())
    ):
        raise InputError(
            "[platform_prefix] needs column = the source column and values = { prefix = \"platform\", ... }", file=where
        )
    if platform is None and "platform" not in columns:
        raise InputError("the mapping must set platform = '...' or map [columns] platform", file=where)
    kind = _table(data, "kind", where)
    _check_keys(kind, ("column", "values"), "[kind]", where)
    kind_values = kind.get("values", {})
    if not isinstance(kind_values, dict):
        raise InputError("[kind] values must be a table of source value = kind", file=where)
    for v in kind_values.values():
        validate(f"mapping {name!r} [kind] values", {"kind": Options(POST_KINDS)}, {"kind": v})
    if kind_values and not isinstance(kind.get("column"), str):
        raise InputError("[kind] values need column = the source column holding the kind", file=where)
    entities: dict[str, EntitySpec] = {}
    ent = _table(data, "entities", where)
    _check_keys(ent, ENTITY_KINDS, "[entities]", where)
    for k, v in ent.items():
        if v == "from_text":
            if k not in TEXT_ENTITY_KINDS:
                raise InputError(f"[entities] {k} cannot be extracted from the text: give {{ column = \"...\" }}", file=where)
            entities[k] = EntitySpec(from_text=True)
        elif isinstance(v, dict) and isinstance(v.get("column"), str):
            _check_keys(v, ("column", "separator"), f"[entities] {k}", where)
            sep = v.get("separator", ",")
            if not isinstance(sep, str) or not sep:
                raise InputError(f"[entities] {k} separator must be a non-empty string", file=where)
            entities[k] = EntitySpec(column=v["column"], separator=sep)
        else:
            raise InputError(f"[entities] {k} must be \"from_text\" or {{ column = \"...\", separator = \",\" }}", file=where)
    if any(e.from_text for e in entities.values()) and "text" not in columns:
        raise InputError("[entities] from_text needs [columns] text", file=where)
    account = _table(data, "account", where)
    _check_keys(account, (*ACCOUNT_FIELDS, "created_at_format", "hashed"), "[account]", where)
    hashed = account.pop("hashed", False)
    if hashed not in HASHED or (isinstance(hashed, int) and not isinstance(hashed, bool)):
        raise InputError(
            "[account] hashed must be true, false or \"id_equals_names\" (hashed where the account id, handle and display name are one string)",
            file=where,
        )
    acc_fmt = account.pop("created_at_format", "iso")
    if not isinstance(acc_fmt, str) or (acc_fmt not in TIME_FORMATS and "%" not in acc_fmt):
        raise InputError(f"[account] created_at_format must be one of {', '.join(TIME_FORMATS)} or a strptime pattern", file=where)
    account = _str_values(account, "account", where)
    match = _table(data, "match", where)
    _check_keys(match, ("header",), "[match]", where)
    header = match.get("header")
    if header is not None and (not isinstance(header, list) or not all(isinstance(h, str) for h in header)):
        raise InputError("[match] header must be a list of column names", file=where)
    dialect = _table(data, "csv", where)
    _check_keys(dialect, ("delimiter", "quote", "escape", "encoding"), "[csv]", where)
    for k in ("delimiter", "quote", "escape"):
        if k in dialect and (not isinstance(dialect[k], str) or len(dialect[k]) != 1):
            raise InputError(f"[csv] {k} must be one character", file=where)
    rows = _table(data, "rows", where)
    _check_keys(rows, ("repeats",), "[rows]", where)
    validate(f"mapping {name!r} [rows]", {"repeats": Options(ROW_REPEATS)}, rows)
    if rows.get("repeats") == "merge" and "post_id" not in columns:
        raise InputError("[rows] repeats = \"merge\" needs [columns] post_id (rows are merged by post id)", file=where)
    desc = data.get("description", "")
    return Mapping(
        name=str(data.get("name", name)),
        time_column=time["column"],
        time_format=fmt,
        time_precision=time.get("precision"),
        time_zone=time.get("timezone"),
        time_shift={str(k): float(v) for k, v in shift.items()},
        columns=columns,
        platform=platform,
        platform_prefix_column=prefix.get("column"),
        platform_prefixes={str(k): str(v) for k, v in prefixes.items()},
        kind_column=kind.get("column"),
        kind_values={str(k): str(v) for k, v in kind_values.items()},
        entities=entities,
        account=account,
        account_created_at_format=acc_fmt,
        hashed=hashed,
        header=tuple(header) if header is not None else None,
        merge_repeats=rows.get("repeats") == "merge",
        delimiter=dialect.get("delimiter", ","),
        quote=dialect.get("quote", '"'),
        escape=dialect.get("escape", dialect.get("quote", '"')),
        encoding=str(dialect.get("encoding", "utf-8")),
        description=str(desc),
        path=path,
        table=table,
    )


# ---- header / record scanning -------------------------------------------------------------


def _is_parquet(source: Source, head: bytes) -> bool:
    return head[:4] == b"PAR1" or source.name.lower().endswith(".parquet")


def _csv_header(head: bytes, m: Mapping) -> list[str]:
    text = head.decode(m.encoding if m.encoding.lower().replace("-", "") != "utf8" else "utf-8-sig", errors="replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    reader = csv.reader(io.StringIO(text, newline=""), **_dialect(m))
    try:
        return next(reader)
    except (StopIteration, csv.Error):
        return []


def _dialect(m: Mapping) -> dict[str, Any]:
    if m.escape == m.quote:
        return {"delimiter": m.delimiter, "quotechar": m.quote, "doublequote": True}
    return {"delimiter": m.delimiter, "quotechar": m.quote, "doublequote": False, "escapechar": m.escape}


def _parquet_columns(eng: DuckDBEngine, path: Path) -> list[tuple[str, str]]:
    rows = eng.execute(f"DESCRIBE SELECT * FROM read_parquet({_lit(str(path))})").fetchall()
    return [(str(r[0]), str(r[1])) for r in rows]


def _open_binary(source: Source) -> Any:
    return gzip.open(source.path, "rb") if source.compression == "gzip" else open(source.path, "rb")


def _record_starts(source: Source, m: Mapping) -> tuple[np.ndarray, np.ndarray] | None:
    """(record number, physical start line) of each non-blank record after the header.

    Record numbers count the header and blank lines, as DuckDB's rejects do. The fast path
    assumes one record per line, which holds when no line has an odd number of quote
    characters; otherwise the file is re-scanned with the csv module, which knows quoted
    newlines. Returns None when the file cannot be scanned (then lines stay unknown).
    """
    q = m.quote.encode()
    esc = (m.escape + m.quote).encode() if m.escape != m.quote else None
    blank: list[int] = []
    n = 0
    multi = False
    with _open_binary(source) as f:
        for n, line in enumerate(f, 1):
            if line in (b"\n", b"\r\n", b"\r"):
                blank.append(n)
            elif not multi and q in line:
                c = line.count(q) - (line.count(esc) if esc else 0)
                multi = bool(c & 1)
    if not multi:
        lines = np.arange(2, n + 1, dtype=np.int64)
        if blank:
            lines = np.setdiff1d(lines, np.asarray(blank, dtype=np.int64), assume_unique=True)
        return lines, lines
    recs: list[int] = []
    starts: list[int] = []
    csv.field_size_limit(2**31 - 1)
    with _open_binary(source) as f:
        text = io.TextIOWrapper(f, encoding=m.encoding, errors="replace", newline="")
        reader = csv.reader(text, **_dialect(m))
        prev = 0
        k = 0
        try:
            for rec in reader:
                k += 1
                if k > 1 and rec:
                    recs.append(k)
                    starts.append(prev + 1)
                prev = reader.line_num
        except csv.Error:
            return None
    return np.asarray(recs, dtype=np.int64), np.asarray(starts, dtype=np.int64)


# ---- SQL building ---------------------------------------------------------------------------


def _lit(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


_ident = sql_ident


def _v(col: str) -> str:
    """A source column as trimmed text (spaces, as DuckDB's trim), NULL when empty."""
    return trimmed_sql(f"CAST(r.{_ident(col)} AS VARCHAR)")


def _time_sql(col: str, fmt: str, tz: str | None) -> str:
    v = _v(col)
    if fmt == "epoch_s":
        return f"make_timestamp(TRY_CAST(round(TRY_CAST({v} AS DOUBLE) * 1000000) AS BIGINT))"
    if fmt == "epoch_ms":
        return f"make_timestamp(TRY_CAST(round(TRY_CAST({v} AS DOUBLE) * 1000) AS BIGINT))"
    if fmt == "iso":
        # An explicit offset is honoured; a naive time is taken in `tz` (default UTC).
        with_offset = f"timezone('UTC', TRY_CAST({v} AS TIMESTAMPTZ))"
        naive = f"TRY_CAST({v} AS TIMESTAMP)"
        if tz:
            naive = f"timezone('UTC', timezone({_lit(tz)}, {naive}))"
        return f"CASE WHEN regexp_matches({v}, '(Z|[+-][0-9]{{2}}(:?[0-9]{{2}})?)$') THEN {with_offset} ELSE {naive} END"
    if "%z" in fmt or "%Z" in fmt:
        return f"timezone('UTC', TRY_STRPTIME({v}, {_lit(fmt)}))"
    naive = f"TRY_STRPTIME({v}, {_lit(fmt)})"
    if tz:
        naive = f"timezone('UTC', timezone({_lit(tz)}, {naive}))"
    return naive


def _precision_sql(m: Mapping) -> str:
    if m.time_precision:
        return _lit(m.time_precision)
    fmt = m.time_format
    if fmt in ("epoch_s", "epoch_ms"):
        return "'second'"
    if fmt == "iso":
        v = _v(m.time_column)
        return f"CASE WHEN regexp_matches({v}, '[0-9]:[0-9]{{2}}:[0-9]{{2}}') THEN 'second' WHEN regexp_matches({v}, '[0-9]{{2}}:[0-9]{{2}}') THEN 'minute' ELSE 'day' END"
    if any(c in fmt for c in ("%S", "%T", "%s", "%c", "%X")):
        return "'second'"
    if "%M" in fmt or "%R" in fmt:
        return "'minute'"
    return "'day'"


_HASHTAG_RE = r"(?:^|[^\p{L}\p{N}_&/])#([\p{L}\p{M}\p{N}_]+)"
_MENTION_RE = r"(?:^|[^\p{L}\p{N}_])@([A-Za-z0-9_]+)"
_URL_RE = r"https?://[^\s<>\"'{}|\\^`]+"


def _entity_sql(kind: str, spec: EntitySpec | None, m: Mapping, col_types: dict[str, str]) -> str:
    empty = "CAST([] AS VARCHAR[])"
    if spec is None:
        return empty
    if spec.from_text:
        text = f"CAST(r.{_ident(m.columns['text'])} AS VARCHAR)"
        # each regular expression only runs on texts that hold its marker character
        if kind == "hashtags":
            items = f"regexp_extract_all({text}, {_lit(_HASHTAG_RE)}, 1)"
            found = f"coalesce([x FOR x IN {items} IF NOT regexp_full_match(x, '[0-9]+')], {empty})"
            return f"CASE WHEN contains({text}, '#') THEN {found} ELSE {empty} END"
        if kind == "mentions":
            found = f"coalesce([lower(x) FOR x IN regexp_extract_all({text}, {_lit(_MENTION_RE)}, 1)], {empty})"
            return f"CASE WHEN contains({text}, '@') THEN {found} ELSE {empty} END"
        items = f"regexp_extract_all({text}, {_lit(_URL_RE)})"
        found = f"coalesce([regexp_replace(x, '[.,;:!?)\\]…]+$', '') FOR x IN {items}], {empty})"
        return f"CASE WHEN contains({text}, '://') THEN {found} ELSE {empty} END"
    assert spec.column is not None
    col = f"r.{_ident(spec.column)}"
    if col_types.get(spec.column, "VARCHAR").endswith("[]"):  # Parquet list column
        items = f"[CAST(x AS VARCHAR) FOR x IN {col}]"
    else:
        items = f"string_split(CAST({col} AS VARCHAR), {_lit(spec.separator)})"
    # brackets, quotes and whitespace (RE2's \s: tab, newline, form feed, carriage return,
    # space) trimmed from both ends of each item; trim with a character set, no regex
    clean = f"trim(x, {_lit(chr(9) + chr(10) + chr(12) + chr(13) + ' []' + chr(39) + chr(34))})"
    if kind == "hashtags":
        clean = f"regexp_replace({clean}, '^#', '')"
    elif kind == "mentions":
        clean = f"lower(regexp_replace({clean}, '^@', ''))"
    return f"coalesce([y FOR y IN [{clean} FOR x IN {items}] IF y <> ''], {empty})"


def _raw_sql(cols: list[str], delim: str, alias: str = "r") -> str:
    """The record re-serialised as one CSV line (for quarantined rows), from ``alias``'s ``cols``."""
    parts = []
    for c in cols:
        v = f"CAST({alias}.{_ident(c)} AS VARCHAR)"
        parts.append(
            f"CASE WHEN {v} IS NULL THEN '' WHEN regexp_matches({v}, {_lit('[' + re.escape(delim) + chr(34) + chr(10) + chr(13) + ']')}) "
            f"THEN '\"' || replace({v}, '\"', '\"\"') || '\"' ELSE {v} END"
        )
    return f"left(concat_ws({_lit(delim)}, {', '.join(parts)}), {RAW_LIMIT})"


def _convert_sql(m: Mapping, col_types: dict[str, str], line: str, fields: frozenset[str] | None = None) -> list[str]:
    """The converted values (``expr AS name``) of a source row ``r``: prefixed stage fields,
    ``source_line`` = ``line`` (SQL over r; NULL when the lines are numbered afterwards) and,
    without a post id column, ``_gkey`` (the generated id's row part, see :func:`_generated_id_sql`).
    Stage fields outside ``fields`` (a lean read) are NULL or empty lists."""
    c = {f: col for f, col in m.columns.items() if fields is None or f in fields}
    sel: list[str] = [f"{line} AS source_line"]
    for f in ID_FIELDS:
        if f in c:
            sel.append(f"{_v(c[f])} AS p_{f}")
        elif f == "post_id":
            # No post ids in the source: a stable id from the file name, the line and the row's
            # account, time and text (so identical rows of same-named files in two folders
            # differ); set once the lines are known.
            parts = [f"coalesce(CAST(r.{_ident(col)} AS VARCHAR), '')" for col in (c["account_id"], m.time_column, m.columns.get("text")) if col]
            sel.append("CAST(NULL AS VARCHAR) AS p_post_id")
            sel.append(f"{' || chr(58) || '.join(parts)} AS _gkey")
        else:
            sel.append(f"CAST(NULL AS VARCHAR) AS p_{f}")
    for f in ("text", "lang", "client"):
        sel.append(f"NULLIF(CAST(r.{_ident(c[f])} AS VARCHAR), '') AS p_{f}" if f in c else f"CAST(NULL AS VARCHAR) AS p_{f}")
    for f in COUNT_FIELDS:
        sel.append(f"{rules.count_sql(_v(c[f]))} AS p_{f}" if f in c else f"CAST(NULL AS BIGINT) AS p_{f}")
    for f in ("latitude", "longitude"):
        sel.append(f"{rules.coordinate_sql(_v(c[f]), f)} AS p_{f}" if f in c else f"CAST(NULL AS DOUBLE) AS p_{f}")
    plat = _platform_sql(m, c)
    sel.append(f"{plat} AS p_platform")
    sel.append(f"{_v(m.time_column)} AS time_raw")
    created = _time_sql(m.time_column, m.time_format, m.time_zone)
    if m.time_shift:
        # a platform's clock corrected: [time] platform_shift = { facebook = -14400 }
        whens = " ".join(f"WHEN {_lit(k)} THEN {int(round(v * 1e6))}" for k, v in sorted(m.time_shift.items()))
        created = f"({created} + to_microseconds(CASE {plat} {whens} ELSE 0 END))"
    sel.append(f"{created} AS p_created_at")
    sel.append(f"{_precision_sql(m)} AS p_time_precision")
    if m.kind_column and m.kind_values:
        cases = " ".join(f"WHEN {_lit(k)} THEN {_lit(v)}" for k, v in m.kind_values.items())
        sel.append(f"CASE {_v(m.kind_column)} {cases} ELSE NULL END AS kind_given")
    else:
        sel.append("CAST(NULL AS VARCHAR) AS kind_given")
    for k in ENTITY_KINDS:
        spec = m.entities.get(k) if fields is None or k in fields else None
        sel.append(f"{_entity_sql(k, spec, m, col_types)} AS p_{k}")
    return sel + _account_fields_sql(m)


def _platform_sql(m: Mapping, c: dict[str, str]) -> str:
    """SQL over a source row r: the row's platform (prefix of a column, else the platform
    column, else the constant)."""
    if "platform" in c:
        const = _lit(m.platform) if m.platform else "NULL"
        plat = f"coalesce({_v(c['platform'])}, {const})"
    else:
        plat = _lit(m.platform or "")
    if m.platform_prefix_column:
        # longest prefix first: 'fb_page_' before 'fb_'
        col = f"CAST(r.{_ident(m.platform_prefix_column)} AS VARCHAR)"
        whens = " ".join(
            f"WHEN starts_with({col}, {_lit(k)}) THEN {_lit(v)}"
            for k, v in sorted(m.platform_prefixes.items(), key=lambda kv: (-len(kv[0]), kv[0]))
        )
        plat = f"CASE {whens} ELSE {plat} END"
    return plat


def _account_fields_sql(m: Mapping) -> list[str]:
    """The converted account fields (``a_X``) of a source row r."""
    sel: list[str] = []
    a = m.account
    for f in ("screen_name", "display_name", "description", "location", "profile_url", "account_language"):
        sel.append(f"NULLIF(CAST(r.{_ident(a[f])} AS VARCHAR), '') AS a_{f}" if f in a else f"CAST(NULL AS VARCHAR) AS a_{f}")
    for f in ("follower_count", "following_count"):
        sel.append(f"{rules.count_sql(_v(a[f]))} AS a_{f}" if f in a else f"CAST(NULL AS BIGINT) AS a_{f}")
    if "created_at" in a:
        t = _time_sql(a["created_at"], m.account_created_at_format, m.time_zone)
        sel.append(f"CASE WHEN {rules.time_in_range_sql(t)} THEN {t} END AS a_created_at")
    else:
        sel.append("CAST(NULL AS TIMESTAMP) AS a_created_at")
    return sel


def _hashed_sql(m: Mapping, col: Callable[[str], str] = lambda n: n) -> str:
    """SQL: is_hashed of a converted row (columns named by ``col``): the mapping's constant, or
    with ``hashed = "id_equals_names"`` true where the account id, the handle and the display
    name are one string (how the IO archive marks an account released as a hash)."""
    if m.hashed == "id_equals_names":
        acc = col("p_account_id")
        return (f"coalesce({acc} = trim({col('a_screen_name')}) AND {acc} = trim({col('a_display_name')}), false)")
    return "true" if m.hashed is True else "false"


def _accounts_convert_sql(m: Mapping, line: str) -> list[str]:
    """The converted values of an accounts file's row r: account id, platform, account fields."""
    c = m.columns
    return [f"{line} AS source_line", f"{_v(c['account_id'])} AS p_account_id", f"{_platform_sql(m, c)} AS p_platform",
            *_account_fields_sql(m)]


def _accounts_reason_sql(m: Mapping) -> str:
    """Why an accounts file's converted row cannot be kept (NULL when it can): the text id rule."""
    col = m.columns["account_id"]
    return (
        f"CASE WHEN p_account_id IS NULL THEN {_lit(f'missing account id (column {col} is empty)')} "
        f"WHEN _why_account_id = 'float notation, digits lost' THEN 'id in float notation, digits lost (' || p_account_id || {_lit(f' in column {col})')} "
        f"WHEN _why_account_id IS NOT NULL THEN 'invalid id (' || {_shown('p_account_id')} || {_lit(f' in column {col}: ')} || _why_account_id || ')' "
        "WHEN p_platform IS NULL OR p_platform = '' THEN 'missing platform' ELSE NULL END"
    )


def _generated_id_sql(basename: str, rn: str) -> str:
    """A post id for a file without one: md5 of the file name, the line (else the record
    ordinal + 1) and the row's account, time and text (``_gkey``)."""
    key = f"{_lit(basename)} || ':' || coalesce(source_line, {rn} + 1) || ':' || _gkey"
    return f"'g' || left(md5({key}), 20)"


# a post's kind: the mapping's kind column, else derived from the links between posts
_KIND_SQL = (
    "coalesce(c.kind_given, CASE WHEN c.p_repost_of IS NOT NULL THEN 'repost' "
    "WHEN c.p_reply_to_post IS NOT NULL OR c.p_reply_to_account IS NOT NULL THEN 'reply' "
    "WHEN c.p_quote_of IS NOT NULL THEN 'quote' ELSE 'post' END)"
)

# the converted account fields of a post's row (a_X, see _account_fields_sql)
_ACCOUNT_COLUMNS = tuple(f"a_{f}" for f in ACCOUNT_FIELDS)

# converted columns that are filled in later, so never constants (see _constant_columns)
_UPDATED_LATER = frozenset({"source_line", "p_time_precision", "p_post_id"})


def _constant_columns(m: Mapping, fields: frozenset[str] | None) -> dict[str, str]:
    """Converted columns whose value is the same for every row (a field the mapping or a lean
    read leaves out, a constant platform): name -> SQL. They are not stored in ``_g_conv``
    (a column of NULL strings still costs 16 bytes a row) but written by the staging INSERTs."""
    out: dict[str, str] = {}
    for item in _convert_sql(m, {}, "NULL", fields):
        expr, name = item.rsplit(" AS ", 1)
        if "r." not in expr and name not in _UPDATED_LATER:
            out[name] = expr
    return out


def _parse_sql(m: Mapping, scan: str, raw_cols: list[str], col_types: dict[str, str], line: str,
               fields: frozenset[str] | None, newlines: str, placeholders: bool = True) -> str:
    """One pass over the source (``scan`` aliased r): converted values, ``reason`` (NULL for a
    valid row), ``_raw`` (the record as CSV, invalid rows only), ``_g_nl`` (newlines inside
    fields) and a ``_g_rn`` placeholder. Parsing and converting in one statement materialises
    the rows once; the source columns never become a table.

    ``placeholders`` False (a posts file read without lines, which may never number them):
    no ``_g_rn``, ``source_line`` or ``_g_nl`` column (constant NULLs still cost a column
    each); :func:`_add_line_columns` adds them when the lines are numbered after all. The raw
    time (``time_raw``) only serves the reason, and is not stored."""
    raws = [f"r.{_ident(c)} AS _r{i}" for i, c in enumerate(raw_cols)]
    rnames = [f"_r{i}" for i in range(len(raw_cols))]
    if m.table == "accounts":
        inner = ", ".join(["CAST(NULL AS BIGINT) AS _g_rn", *_accounts_convert_sql(m, line), *raws, f"{newlines} AS _g_nl"])
        why = f"{rules.text_id_problem_sql('c.p_account_id')} AS _why_account_id"
        return (
            f"SELECT q.* EXCLUDE ({', '.join([*rnames, '_why_account_id'])}), "
            f"CASE WHEN q.reason IS NOT NULL THEN {_raw_sql(rnames, m.delimiter, 'q')} END AS _raw "
            f"FROM (SELECT w.*, {_accounts_reason_sql(m)} AS reason FROM (SELECT c.*, {why} FROM (SELECT {inner} FROM {scan} r) c) w) q"
        )
    converted = _convert_sql(m, col_types, line, fields)
    if placeholders:
        inner = ", ".join(["CAST(NULL AS BIGINT) AS _g_rn", *converted, *raws, f"{newlines} AS _g_nl"])
    else:
        inner = ", ".join([*(x for x in converted if not x.endswith(" AS source_line")), *raws])
    dropped = rnames + list(_constant_columns(m, fields)) + ["time_raw"]
    whys = _id_problems_sql(m, fields)
    dropped += [w.rsplit(" AS ", 1)[1] for w in whys]
    exclude = f" EXCLUDE ({', '.join(dropped)})" if dropped else ""
    return (
        f"SELECT q.*{exclude}, CASE WHEN q.reason IS NOT NULL THEN {_raw_sql(rnames, m.delimiter, 'q')} END AS _raw "
        f"FROM (SELECT w.*, {_reason_sql(m)} AS reason FROM (SELECT c.*, {', '.join([*whys, _KIND_SQL + ' AS p_kind'])} "
        f"FROM (SELECT {inner} FROM {scan} r) c) w) q"
    )


def _reason_sql(m: Mapping) -> str:
    """Why a converted row cannot be kept (NULL when it can): the rules of
    :mod:`cibscope.ingest.rules` for ids and the post time."""
    c = m.columns
    acc_col, post_col = c["account_id"], c.get("post_id")
    whens = [f"WHEN p_account_id IS NULL THEN {_lit(f'missing account id (column {acc_col} is empty)')}"]
    if post_col is not None:
        whens.append(f"WHEN p_post_id IS NULL THEN {_lit(f'missing post id (column {post_col} is empty)')}")
    where = f" in column {m.time_column}, format {m.time_format})"
    whens.append(f"WHEN p_created_at IS NULL THEN 'unparseable time (' || coalesce({_shown('time_raw')}, 'empty') || {_lit(where)}")
    span = f"; kept from {rules.TIME_MIN:%Y-%m-%d} to before {rules.TIME_MAX:%Y-%m-%d})"
    whens.append(
        f"WHEN NOT {rules.time_in_range_sql('p_created_at')} THEN 'time out of range (' || {_shown('time_raw')} "
        f"|| {_lit(f' in column {m.time_column}{span}')}"
    )
    for f in ID_FIELDS:
        if f in c:
            why = f"_why_{f}"
            whens.append(
                f"WHEN {why} = 'float notation, digits lost' THEN 'id in float notation, digits lost (' || p_{f} || {_lit(f' in column {c[f]})')}"
            )
            whens.append(f"WHEN {why} IS NOT NULL THEN 'invalid id (' || {_shown(f'p_{f}')} || {_lit(f' in column {c[f]}: ')} || {why} || ')'")
    whens.append("WHEN p_platform IS NULL OR p_platform = '' THEN 'missing platform'")
    return "CASE " + " ".join(whens) + " ELSE NULL END"


def _id_problems_sql(m: Mapping, fields: frozenset[str] | None) -> list[str]:
    """``_why_F``: the text id rule's problem with each mapped id field F (NULL when none)."""
    return [f"{rules.text_id_problem_sql(f'c.p_{f}')} AS _why_{f}" for f in ID_FIELDS if f in m.columns]


def _shown(expr: str) -> str:
    """SQL: a value for a quarantine reason (60 characters, control characters as '?')."""
    return f"left(regexp_replace({expr}, {rules.CONTROL_SQL}, '?', 'g'), 60)"


# ---- the reader --------------------------------------------------------------------------------


def _kept(names: list[str], m: Mapping, fields: frozenset[str] | None) -> list[str]:
    """The source columns a read keeps: all, or (a lean read) those ``fields`` need."""
    if fields is None:
        return names
    need = set(m.source_columns(fields))
    return [n for n in names if n in need]


def _read_mapping(m: Mapping, ctx: ReadContext) -> Mapping:
    """The mapping a read converts with: a lean read's account snapshots taken from posts fill
    only the account columns it asks for (``ReadContext.wants_account``), so the others are
    not read (the toolkit's ``username`` under ``cibscope network --counts``). ``is_hashed``
    by ``id_equals_names`` needs the handle and display name."""
    if ctx.fields is None or m.table == "accounts":
        return m
    keep = {f for f in m.account if ctx.wants_account(f)}
    if m.hashed == "id_equals_names" and ctx.wants_account("is_hashed"):
        keep |= {"screen_name", "display_name"} & set(m.account)
    if len(keep) == len(m.account):
        return m
    return dataclasses.replace(m, account={f: col for f, col in m.account.items() if f in keep})


def _drop_work_tables(eng: DuckDBEngine, tables: Iterable[str]) -> None:
    """Drop the reader's temp tables; after a failed statement the transaction is aborted and
    the orchestrator's ROLLBACK drops them, so errors here must not hide the first one."""
    try:
        for t in tables:
            eng.execute(f"DROP TABLE IF EXISTS {t}")
    except DuckDBError:
        pass


class GenericTable:
    """CSV or Parquet of any platform, read through a TOML column mapping."""

    name: ClassVar[str] = "generic"
    kind: ClassVar[str] = "posts"
    counts_lines: ClassVar[bool] = True  # see ReadContext.physical_lines
    # a read without lines (ReadContext.lines False) numbers them only when a row may be
    # quarantined, by a second scan of the newlines inside the records (_parse_csv)
    lines_on_demand: ClassVar[bool] = True
    description: ClassVar[str] = "CSV/Parquet of any platform with a TOML column mapping (--mapping FILE or preset name)"
    table: ClassVar[str] = "posts"  # the mappings it reads (Mapping.table)

    def sniff(self, source: Source, head: bytes) -> bool:
        return self._preset_for(source, head) is not None

    def _preset_for(self, source: Source, head: bytes) -> Mapping | None:
        """The shipped preset whose [match] header is exactly this file's header, if any."""
        parquet_names: list[str] | None = None
        if _is_parquet(source, head):
            try:
                import pyarrow.parquet as pq

                parquet_names = list(pq.read_schema(source.path).names)
            except (OSError, pa.ArrowException):
                return None
        for name in presets():
            m = load_mapping(name)
            if m.header is None or m.table != self.table:
                continue
            header = parquet_names if parquet_names is not None else _csv_header(head, m)
            if list(m.header) == header:
                return m
        return None

    def read(self, ctx: ReadContext) -> int:
        src = ctx.source
        head = src.head()
        mapping = ctx.options.get("mapping")
        if mapping is None:
            mapping = self._preset_for(src, head)
            if mapping is None:
                raise InputError(
                    "the generic reader needs a column mapping for this file",
                    file=src.name,
                    hint=f"give --mapping FILE.toml (see docs/formats.md) or a preset: {', '.join(presets())}",
                )
        m = load_mapping(mapping)
        if m.table != self.table:
            other = "generic-accounts" if m.table == "accounts" else "generic"
            raise InputError(
                f"mapping {m.name!r} is for {m.table} files, the {self.name} reader reads {self.table}",
                file=src.name, hint=f"read it with --format {other} (or give --mapping alone: the reader follows the mapping's table)",
            )
        eng = ctx.engine
        tag = uuid.uuid4().hex[:8]
        rej, rej_scan = f"_g_rejects_{tag}", f"_g_rejects_scan_{tag}"
        basename = Path(src.name.split("!")[-1]).name
        full, m = m, _read_mapping(m, ctx)  # a file must have every column of the mapping (full)
        try:
            with step(ctx.progress, f"reading {Path(src.name).name} with mapping {m.name}"):
                if _is_parquet(src, head):
                    rn = self._parse_parquet(eng, src, m, ctx.fields, check=full)
                    n_rejected = 0
                else:
                    rn = self._parse_csv(eng, src, m, head, rej, rej_scan, ctx.line_count, ctx.fields, ctx, check=full)
                    n_rejected = self._quarantine_rejects(eng, src, rej)
            with step(ctx.progress, f"converting {Path(src.name).name}"):
                if m.table == "accounts":
                    n_kept, n_bad, n_merged = self._stage_accounts(eng, src, m)
                else:
                    n_kept, n_bad, n_merged = self._stage(eng, src, m, basename, rn, ctx.fields)
        finally:
            _drop_work_tables(eng, ("_g_lines", "_g_rejline", "_g_conv", "_g_rep", rej, rej_scan, f"{rej}_nl", f"{rej_scan}_nl"))
        return n_kept + n_bad + n_rejected + n_merged

    # -- parsing -----------------------------------------------------------------------------
    @staticmethod
    def _check_columns(src: Source, m: Mapping, present: list[str]) -> None:
        missing = [c for c in m.source_columns() if c not in present]
        if missing:
            raise MissingColumnsError(src.name, missing, m.label)

    def _parse_parquet(
        self, eng: DuckDBEngine, src: Source, m: Mapping, fields: frozenset[str] | None = None, check: Mapping | None = None
    ) -> str:
        """Parse and convert into ``_g_conv`` (``source_line`` = row number + 1); returns the
        SQL of a row's 0-based ordinal (columns qualified with ``_g_conv``). ``check``: the
        mapping whose columns the file must have (default ``m``)."""
        try:
            described = _parquet_columns(eng, src.path)
        except DuckDBError as e:
            raise InputError(f"not a readable Parquet file ({str(e).splitlines()[0]})", file=src.name) from e
        names = [n for n, _ in described]
        self._check_columns(src, check or m, names)
        scan = f"read_parquet({_lit(str(src.path))}, file_row_number = true)"
        sql = _parse_sql(m, scan, _kept(names, m, fields), dict(described), "r.file_row_number + 1", fields, "0")
        eng.execute(f"CREATE TEMP TABLE _g_conv AS {sql}")
        return "(_g_conv.source_line - 1)"

    def _parse_csv(
        self,
        eng: DuckDBEngine,
        src: Source,
        m: Mapping,
        head: bytes,
        rej: str,
        rej_scan: str,
        line_count: Callable[[], int | None] = lambda: None,
        fields: frozenset[str] | None = None,
        ctx: ReadContext | None = None,
        check: Mapping | None = None,
    ) -> str:
        """Parse and convert into ``_g_conv``, then number the physical lines; returns the SQL
        of a row's 0-based record ordinal (columns qualified with ``_g_conv``).

        A read without lines (``ctx.lines`` False, a posts mapping) counts no newline inside
        the records in the parse (no text column is materialised for it) and leaves
        ``source_line`` NULL, unless some row may be quarantined (a rejected record, an invalid
        row, an id finalize may refuse, rows to merge, generated ids): then a second scan
        counts the newlines and the lines are numbered as in a read with lines."""
        header = _csv_header(head, m)
        if not header:
            raise InputError("no header row", file=src.name)
        self._check_columns(src, check or m, header)
        # Unique names for DuckDB (a repeated header name gets a suffix; mapped names are unique).
        seen: dict[str, int] = {}
        names: list[str] = []
        for h in header:
            k = seen.get(h, 0)
            seen[h] = k + 1
            names.append(h if k == 0 else f"{h}_{k + 1}")
        columns = "{" + ", ".join(f"{_lit(n)}: 'VARCHAR'" for n in names) + "}"
        def scan_of(rejects: str, rejects_scan: str) -> str:
            opts = [
                "auto_detect = false",
                "header = true",
                f"delim = {_lit(m.delimiter)}",
                f"quote = {_lit(m.quote)}",
                f"escape = {_lit(m.escape)}",
                f"columns = {columns}",
                f"compression = {_lit('gzip' if src.compression == 'gzip' else 'none')}",
                f"encoding = {_lit(m.encoding)}",
                "store_rejects = true",
                f"rejects_table = {_lit(rejects)}",
                f"rejects_scan = {_lit(rejects_scan)}",
                "max_line_size = 16777216",
            ]
            return f"read_csv({_lit(str(src.path))}, {', '.join(opts)})"

        scan = scan_of(rej, rej_scan)
        lines = ctx is None or ctx.lines or m.table == "accounts"
        # A read without lines names only the columns it keeps, and DuckDB checks a field's
        # UTF-8 only when its column is read: such a read is valid for a file that is UTF-8
        # throughout (checked in a thread while DuckDB parses). Otherwise (not UTF-8, another
        # encoding, compressed) it reads every column, as a read with lines does.
        # Reading every column, the parse counts the newlines inside the records too (``every``).
        # A mapping that takes every column of an uncompressed UTF-8 file needs no check: DuckDB
        # checks every field.
        utf8: Future[bool] | None = None
        every = lines
        if not lines:
            plain = src.compression is None and m.encoding.lower().replace("-", "") == "utf8"
            if plain and len(_kept(names, m, fields)) < len(names):
                pool = ThreadPoolExecutor(1, thread_name_prefix="cibscope-utf8")
                utf8 = pool.submit(is_utf8_file, src.path)
                pool.shutdown(wait=False)
            elif not plain:
                every = True

        def parse(every: bool) -> None:
            # newlines embedded in each record's fields (each makes the record span one more line)
            newlines = embedded_newlines_sql(names, alias="r") if every else "CAST(NULL AS BIGINT)"
            # a lean read's quarantined rows show the kept columns only: carrying the text through
            # the conversion for the few invalid rows cost ~0.6 s at 1M rows
            sql = _parse_sql(m, scan, _kept(names, m, fields), {n: "VARCHAR" for n in names}, "CAST(NULL AS BIGINT)", fields, newlines,
                             placeholders=every)
            # The parallel scan with insertion order preserved: rowids follow file order. No
            # window in the scan itself: a streaming window would run the whole parse on one thread.
            eng.execute(f"CREATE TEMP TABLE _g_conv AS {sql}")

        try:
            try:
                parse(every)
            finally:
                valid = utf8 is None or utf8.result()  # the thread is done before anything else reads
            if not valid:
                for t in ("_g_conv", rej, rej_scan):
                    eng.execute(f"DROP TABLE IF EXISTS {t}")
                every = True
                parse(every)
        except DuckDBError as e:
            raise InputError(f"cannot read as CSV ({str(e).splitlines()[0]})", file=src.name) from e
        n_raw, lo, hi, n_bad = eng.execute("SELECT count(*), min(rowid), max(rowid), count(reason) FROM _g_conv").fetchall()[0]
        n_raw = int(n_raw)
        if n_raw and int(hi) - int(lo) + 1 == n_raw:
            # one block of consecutive rowids in file order: record k is rowid - min (no sort)
            rn = f"(_g_conv.rowid - {int(lo)})"
        else:
            if not every:
                _add_line_columns(eng)
            eng.execute(
                "UPDATE _g_conv SET _g_rn = n.idx FROM (SELECT rowid AS rid, row_number() OVER (ORDER BY rowid) - 1 AS idx FROM _g_conv) n "
                "WHERE _g_conv.rowid = n.rid"
            )
            rn = "_g_conv._g_rn"
        n_rej = int(eng.execute(f"SELECT count(DISTINCT line) FROM {rej}").fetchall()[0][0])
        if not lines:
            assert ctx is not None
            if not self._lines_needed(eng, m, n_rej, ctx, int(n_bad)):
                return rn  # no source_line column (NULL for every post): no row is quarantined
            if not every:
                _add_line_columns(eng)
                _scan_newlines(eng, scan_of(f"{rej}_nl", f"{rej_scan}_nl"), names, n_raw, rn)
        n_nl = int(eng.execute("SELECT coalesce(sum(_g_nl), 0) FROM _g_conv").fetchall()[0][0])
        # Map DuckDB's record order to physical start lines. When nothing was rejected and the
        # header, the records and their embedded newlines account for every physical line of
        # the file (counted with its content hash), record k starts at line k + 2 + the newlines
        # of the records before it: no second pass over the file. Otherwise (blank lines,
        # rejected records, compressed input) the file is scanned in Python.
        physical_lines = line_count()  # after the parse: the hash may run alongside it
        fast = physical_lines is not None and n_rej == 0 and 1 + n_raw + int(n_nl) == physical_lines
        starts = None if fast else _record_starts(src, m)
        eng.execute("CREATE TEMP TABLE _g_rejline AS SELECT CAST(NULL AS BIGINT) AS rec, CAST(NULL AS BIGINT) AS line WHERE false")
        if fast and int(n_nl) == 0:
            # one line per record: record k is on line k + 2
            eng.execute(f"UPDATE _g_conv SET source_line = {rn} + 2")
            return rn
        if fast:
            # record k starts on line k + 2 + the newlines inside records 0..k-1: a running sum,
            # in numpy (DuckDB's window would sort a million rows by the ordinal first)
            # (numpy in and out without pyarrow's conversions, which import pandas where it is
            # installed: 0.3-0.4 s of a cold `cibscope network`)
            got = eng.fetch_numpy(f"SELECT {rn} AS idx, _g_nl FROM _g_conv")
            nl = np.zeros(n_raw, dtype=np.int64)
            nl[np.asarray(got["idx"], dtype=np.int64)] = np.asarray(got["_g_nl"], dtype=np.int64)
            line = np.arange(2, n_raw + 2, dtype=np.int64) + np.cumsum(nl) - nl
            eng.register_arrow("_g_recs", pa.table({"idx": _int64_array(np.arange(n_raw, dtype=np.int64)), "line": _int64_array(line)}))
            try:
                eng.execute("CREATE TEMP TABLE _g_lines AS SELECT idx, line FROM _g_recs")
            finally:
                eng.unregister("_g_recs")
        elif starts is not None:
            recs = pa.table({"rec": pa.array(starts[0]), "line": pa.array(starts[1])})
            eng.register_arrow("_g_recs", recs)
            try:
                eng.execute(
                    f"""CREATE TEMP TABLE _g_lines AS
                    SELECT row_number() OVER (ORDER BY rec) - 1 AS idx, line FROM _g_recs
                    WHERE rec NOT IN (SELECT line FROM {rej})"""
                )
                eng.execute(f"INSERT INTO _g_rejline SELECT rec, line FROM _g_recs WHERE rec IN (SELECT line FROM {rej})")
            finally:
                eng.unregister("_g_recs")
            if int(eng.execute("SELECT count(*) FROM _g_lines").fetchall()[0][0]) != n_raw:
                # The two parsers disagree (odd quoting): lines are unknown rather than wrong.
                eng.execute("DELETE FROM _g_lines")
                eng.execute("DELETE FROM _g_rejline")
        else:
            return rn  # lines unknown
        eng.execute(f"UPDATE _g_conv SET source_line = l.line FROM _g_lines l WHERE l.idx = {rn}")
        return rn

    @staticmethod
    def _lines_needed(eng: DuckDBEngine, m: Mapping, n_rej: int, ctx: ReadContext, n_bad: int) -> bool:
        """May a row of this read without lines be quarantined (here or by finalize), or be
        merged into another row's post (``stage_merged`` keeps its line)? ``n_rej``: records
        DuckDB rejected, ``n_bad``: rows with a reason. Sets ``ctx.unique_ids`` when the valid
        rows' post ids are distinct."""
        if n_rej or n_bad or m.merge_repeats or "post_id" not in m.columns:
            return True
        ctx.unique_ids, may_quarantine = finalize_may_quarantine(eng, "_g_conv", "p_post_id", "reason")
        return may_quarantine

    @staticmethod
    def _quarantine_rejects(eng: DuckDBEngine, src: Source, rej: str) -> int:
        """Malformed CSV records -> stage_quarantine (one row per record, DuckDB's first error)."""
        n = int(eng.execute(f"SELECT count(DISTINCT line) FROM {rej}").fetchall()[0][0])
        if not n:
            eng.execute("DROP TABLE IF EXISTS _g_rejline")
            return 0
        eng.execute(
            f"""INSERT INTO stage_quarantine BY NAME
            SELECT {_lit(src.name)} AS source_file, coalesce(l.line, e.line) AS source_line,
                   left(trim(e.csv_line, chr(10) || chr(13)), {RAW_LIMIT}) AS raw,
                   CASE WHEN e.error_type = 'INVALID ENCODING'  -- as the archive reader says it
                        THEN 'malformed CSV row (invalid UTF-8 in field ' || e.column_idx || coalesce(' ''' || e.column_name || '''', '') || ')'
                        ELSE 'malformed CSV row (' || e.error_type || ': ' || e.error_message || ')' END AS reason
            FROM (SELECT * FROM {rej} QUALIFY row_number() OVER (PARTITION BY line ORDER BY column_idx) = 1) e
            LEFT JOIN _g_rejline l ON l.rec = e.line"""
        )
        eng.execute("DROP TABLE IF EXISTS _g_rejline")
        return n

    # -- staging -------------------------------------------------------------------------------
    def _stage(
        self, eng: DuckDBEngine, src: Source, m: Mapping, basename: str, rn: str, fields: frozenset[str] | None = None
    ) -> tuple[int, int, int]:
        """``_g_conv`` -> stage_quarantine (invalid rows), stage_merged (rows merged into an
        earlier row's post), stage_posts and stage_accounts. Returns (kept, invalid, merged)."""
        consts = _constant_columns(m, fields)
        have = {str(r[0]) for r in eng.execute("DESCRIBE _g_conv").fetchall()}
        if "source_line" not in have:  # a read without lines that numbered none (see _parse_sql)
            consts["source_line"] = "CAST(NULL AS BIGINT)"

        def c(name: str) -> str:  # a converted column, or its constant
            return consts.get(name, name)

        if "post_id" not in m.columns:
            eng.execute(f"UPDATE _g_conv SET p_post_id = {_generated_id_sql(basename, rn)}")
        if not m.time_precision:
            # Seconds that are always :00 (over 20+ rows) mean minute data written with seconds.
            row = eng.execute(
                """SELECT count(*), count(*) FILTER (WHERE second(p_created_at) <> 0 OR microsecond(p_created_at) <> 0)
                   FROM _g_conv WHERE reason IS NULL AND p_time_precision = 'second'"""
            ).fetchall()[0]
            if row[0] >= 20 and row[1] == 0:
                eng.execute("UPDATE _g_conv SET p_time_precision = 'minute' WHERE p_time_precision = 'second'")
        file = _lit(src.name)
        n_merged = _merge_repeats(eng, m, consts, file, rn) if m.merge_repeats else 0
        eng.execute(
            f"""INSERT INTO stage_quarantine BY NAME
            SELECT {file} AS source_file, {c('source_line')} AS source_line, _raw AS raw, reason FROM _g_conv WHERE reason IS NOT NULL"""
        )
        snapshot = f"""SELECT {c('p_account_id')} AS account_id, {c('p_platform')} AS platform,
                   {c('a_screen_name')} AS screen_name, {c('a_display_name')} AS display_name, {c('a_description')} AS description,
                   {c('a_location')} AS location, {c('a_profile_url')} AS profile_url, {c('a_follower_count')} AS follower_count,
                   {c('a_following_count')} AS following_count, {c('a_created_at')} AS created_at,
                   {c('a_account_language')} AS account_language, {_hashed_sql(m, c)} AS is_hashed,
                   {file} AS source_file, {c('source_line')} AS source_line, false AS from_users_file"""
        if all(n in consts for n in ("source_line", "p_platform", *_ACCOUNT_COLUMNS)):
            # no line, no profile column, one platform: every row of an account gives the same
            # snapshot, so no newest row is picked (the arg_max below: ~0.1 s per 1M rows)
            eng.execute(
                f"INSERT INTO stage_accounts BY NAME {snapshot} FROM (SELECT DISTINCT p_account_id FROM _g_conv WHERE reason IS NULL)"
            )
        else:
            eng.execute(
                f"""INSERT INTO stage_accounts BY NAME {snapshot}
                FROM _g_conv
                WHERE rowid IN (
                    -- each account's newest row (then the latest line, then the last read)
                    SELECT arg_max(rowid, ({c('p_created_at')}, coalesce({c('source_line')}, -1), rowid)) FROM _g_conv
                    WHERE reason IS NULL GROUP BY p_account_id
                )"""
            )
        row = eng.execute("SELECT count(*) FILTER (WHERE reason IS NULL), count(*) FILTER (WHERE reason IS NOT NULL) FROM _g_conv").fetchall()[0]
        # _g_conv becomes stage_posts: p_X columns renamed X, non-NULL constants added, the rest dropped
        stage = [n for n, _ in STAGE_POSTS.columns]
        renames = {f"p_{n}": n for n in stage}
        # an empty list and NULL mean the same to finalize (no items); a NULL column is left out
        constants = {n[2:]: ("NULL" if e.startswith("CAST([]") else e) for n, e in consts.items() if n.startswith("p_")}
        constants["source_file"] = file
        staged = become_stage_posts(eng, "_g_conv", invalid="reason IS NOT NULL" if row[1] else None, renames=renames, constants=constants)
        if staged != int(row[0]):
            raise AssertionError(f"generic reader: staged {staged} posts of {row[0]} valid rows")
        return int(row[0]), int(row[1]), n_merged


    @staticmethod
    def _stage_accounts(eng: DuckDBEngine, src: Source, m: Mapping) -> tuple[int, int, int]:
        """An accounts file's ``_g_conv`` -> stage_quarantine (invalid rows) and stage_accounts
        (``from_users_file``: its rows win over snapshots from posts; finalize quarantines a
        repeated account id). Returns (kept, invalid, 0)."""
        file = _lit(src.name)
        eng.execute(
            f"""INSERT INTO stage_quarantine BY NAME
            SELECT {file} AS source_file, source_line, _raw AS raw, reason FROM _g_conv WHERE reason IS NOT NULL"""
        )
        eng.execute(
            f"""INSERT INTO stage_accounts BY NAME
            SELECT p_account_id AS account_id, p_platform AS platform, a_screen_name AS screen_name, a_display_name AS display_name,
                   a_description AS description, a_location AS location, a_profile_url AS profile_url,
                   a_follower_count AS follower_count, a_following_count AS following_count, a_created_at AS created_at,
                   a_account_language AS account_language, {_hashed_sql(m)} AS is_hashed,
                   {file} AS source_file, source_line, true AS from_users_file
            FROM _g_conv WHERE reason IS NULL ORDER BY rowid"""
        )
        row = eng.execute("SELECT count(*) FILTER (WHERE reason IS NULL), count(*) FILTER (WHERE reason IS NOT NULL) FROM _g_conv").fetchall()[0]
        return int(row[0]), int(row[1]), 0


class GenericAccounts(GenericTable):
    """An accounts file (one row per account) of any platform, read through a TOML mapping
    with ``table = "accounts"`` (e.g. the preset ``hongkongio-users``)."""

    name: ClassVar[str] = "generic-accounts"
    kind: ClassVar[str] = "accounts"
    description: ClassVar[str] = "accounts CSV/Parquet of any platform with a TOML mapping of table = \"accounts\" (--mapping FILE or preset name)"
    table: ClassVar[str] = "accounts"


#: post fields a repeated row must agree on with the post's first row to be merged into it
_MERGE_SAME = ("p_account_id", "p_platform", "p_created_at", "p_text", "p_kind", "p_repost_of", "p_reply_to_post", "p_quote_of")


def _add_line_columns(eng: DuckDBEngine) -> None:
    """Add the placeholders a parse without them left out (see :func:`_parse_sql`)."""
    for c in ("_g_rn", "source_line", "_g_nl"):
        eng.execute(f"ALTER TABLE _g_conv ADD COLUMN IF NOT EXISTS {c} BIGINT")


def _scan_newlines(eng: DuckDBEngine, scan: str, names: list[str], n_raw: int, rn: str) -> None:
    """Fill ``_g_conv._g_nl`` (newlines inside each record's fields) by a second scan of the
    file, in file order like ``_g_conv`` (its k-th record is ``_g_conv``'s k-th: the same
    records are rejected). For a read without lines that must number them after all. Its
    rejects tables are ``<the parse's>_nl`` (dropped with the reader's work tables)."""
    eng.execute(f"CREATE TEMP TABLE _g_nlscan AS SELECT {embedded_newlines_sql(names, alias='r')} AS _g_nl FROM {scan} r")
    n, lo, hi = eng.execute("SELECT count(*), min(rowid), max(rowid) FROM _g_nlscan").fetchall()[0]
    if int(n) != n_raw or (n_raw and int(hi) - int(lo) + 1 != n_raw):
        raise AssertionError("generic reader: the second scan of the newlines found other records")
    eng.execute(f"UPDATE _g_conv SET _g_nl = s._g_nl FROM (SELECT rowid - {int(lo or 0)} AS idx, _g_nl FROM _g_nlscan) s WHERE s.idx = {rn}")
    eng.execute("DROP TABLE _g_nlscan")


def _merge_repeats(eng: DuckDBEngine, m: Mapping, consts: dict[str, str], file: str, rn: str) -> int:
    """``[rows] repeats = "merge"``: valid rows repeating a post id become one post.

    A long format (CooRTweet's german_elections: one row per post and shared URL, hashtag,
    domain or image) repeats the post's id on every row. The post's first row (in file order)
    keeps it; a later row agreeing with it on account, platform, time, text, kind and links
    adds its entity lists to the post (a row repeating an earlier row's lists exactly adds
    nothing) and goes to ``stage_merged`` (kept); a row that disagrees is quarantined. URL and
    domain lists are padded to one length per row first, so each URL keeps its domain.
    Returns the rows merged.
    """
    dup = eng.execute("SELECT count(p_post_id) - count(DISTINCT p_post_id) FROM _g_conv WHERE reason IS NULL").fetchall()[0][0]
    if not dup:
        return 0
    have = {str(r[0]) for r in eng.execute("DESCRIBE _g_conv").fetchall()}
    same = [c for c in _MERGE_SAME if c in have and c not in consts]
    lists = [f"p_{k}" for k in ENTITY_KINDS if f"p_{k}" in have and f"p_{k}" not in consts]
    padded = {c: f"g.{c}" for c in lists}
    if "p_urls" in padded and "p_domains" in padded:
        for a, b in (("p_urls", "p_domains"), ("p_domains", "p_urls")):
            padded[a] = f"list_concat(g.{a}, [CAST(NULL AS VARCHAR) FOR _x IN range(greatest(len(g.{b}) - len(g.{a}), 0))])"
    ordinal = rn.replace("_g_conv.", "g.")
    differs = " OR ".join(f"g.{c} IS DISTINCT FROM first_value(g.{c}) OVER w" for c in same) or "false"
    eng.execute(
        "CREATE OR REPLACE TEMP TABLE _g_rep AS "
        f"SELECT g.rowid AS rid, g.p_post_id AS pid, {ordinal} AS ord, "
        "first_value(g.rowid) OVER w AS first_rid, first_value(g.source_line) OVER w AS first_line, "
        + "".join(f"{padded[c]} AS {c}, " for c in lists)
        + f"{differs} AS differs FROM _g_conv g "
        "WHERE g.reason IS NULL AND g.p_post_id IN ("
        "SELECT p_post_id FROM _g_conv WHERE reason IS NULL GROUP BY p_post_id HAVING count(*) > 1) "
        f"WINDOW w AS (PARTITION BY g.p_post_id ORDER BY {ordinal})"
    )
    shown = [c for c in ("p_post_id", "p_account_id", "p_created_at", *lists) if c in have and c not in consts]

    def raw(alias: str) -> str:
        return "concat_ws(',', " + ", ".join(f"CAST({alias}.{c} AS VARCHAR)" for c in shown) + ")"

    eng.execute(
        "UPDATE _g_conv SET reason = 'post_id ''' || r.pid || ''' repeats line ' || coalesce(CAST(r.first_line AS VARCHAR), '?') "
        f"|| ' with another account, platform, time, text or link', _raw = {raw('_g_conv')} "
        "FROM _g_rep r WHERE r.rid = _g_conv.rowid AND r.differs"
    )
    merged = "NOT r.differs AND r.rid <> r.first_rid"
    eng.execute(
        f"INSERT INTO stage_merged SELECT {file}, g.source_line, g.p_post_id, {raw('g')} "
        f"FROM _g_conv g JOIN _g_rep r ON r.rid = g.rowid WHERE {merged}"
    )
    if lists:
        # each post's lists: the items of its agreeing rows in file order, each item once (a
        # URL once per domain: the long format repeats a post's URL on each of its hashtag rows)
        aggs = ", ".join(f"flatten(list(d.{c} ORDER BY d.ord)) AS {c}" for c in lists)
        firsts = {c: f"list_filter(a.{c}, lambda x, i: list_position(a.{c}, x) = i)" for c in lists}
        if "p_urls" in padded and "p_domains" in padded:
            key = "coalesce({u}, '') || chr(31) || coalesce({d}, '')"
            keys = "list_transform(list_zip(a.p_urls, a.p_domains), lambda z: " + key.format(u="z[1]", d="z[2]") + ")"
            first = f"list_position({keys}, {key.format(u='a.p_urls[i]', d='a.p_domains[i]')}) = i"
            firsts["p_urls"] = f"list_filter(a.p_urls, lambda x, i: {first})"
            firsts["p_domains"] = f"list_filter(a.p_domains, lambda x, i: {first})"
        eng.execute(
            f"UPDATE _g_conv SET {', '.join(f'{c} = n.{c}' for c in lists)} FROM ("
            f"SELECT a.first_rid, {', '.join(f'{firsts[c]} AS {c}' for c in lists)} FROM ("
            f"SELECT d.first_rid, {aggs} FROM _g_rep d WHERE NOT d.differs GROUP BY d.first_rid) a"
            ") n WHERE _g_conv.rowid = n.first_rid"
        )
    n = eng.execute(f"SELECT count(*) FROM _g_rep r WHERE {merged}").fetchall()[0][0]
    eng.execute(f"DELETE FROM _g_conv WHERE rowid IN (SELECT r.rid FROM _g_rep r WHERE {merged})")
    eng.execute("DROP TABLE _g_rep")
    return int(n)


READERS: list[Reader] = [GenericTable(), GenericAccounts()]


def _int64_array(values: np.ndarray) -> pa.Array:
    """A contiguous int64 numpy array as an Arrow array, sharing its memory (``pa.array`` would
    import pandas, where it is installed, to check the input's type)."""
    v = np.ascontiguousarray(values, dtype=np.int64)
    return pa.Array.from_buffers(pa.int64(), len(v), [None, pa.py_buffer(v)])
