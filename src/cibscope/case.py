"""The case: one DuckDB database file holding everything about one investigation.

The :class:`Case` owns the connection to its file (opened by :func:`open_case` through
:func:`cibscope.engine.duckdb.connect`); stages run their SQL through ``case.engine``, an
:class:`~cibscope.engine.base.Engine`, and take the case (or an engine), never the connection.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .errors import CaseStateError, SchemaError
from .schema import ALL_TABLES, SCHEMA_VERSION, Table

if TYPE_CHECKING:
    from .engine.base import Engine


#: case meta key: the stage_posts fields every post of the case has, when a lean read added posts
LEAN_FIELDS_META = "lean_fields"
#: what to do about a case read lean that a step cannot use
FULL_READ_HINT = "ingest the data again into a new case without `fields` (a full read)"


@contextmanager
def insertion_order_off(db: Any) -> Iterator[None]:
    """Let DuckDB write tables in any row order inside the block (setting restored after).

    For work whose tables are sets (the case tables, the builder's tables behind counts):
    without insertion order DuckDB materialises them in parallel, faster. ``db``: a
    :class:`Case` or a DuckDB :class:`~cibscope.engine.duckdb.DuckDBEngine`; temporary
    compatibility (issue 15) for tests that still pass a bare connection.
    """
    engine = engine_or_connection(db)
    rows = engine.execute("SELECT current_setting('preserve_insertion_order')").fetchall()
    previous = bool(rows[0][0]) if rows else True
    engine.execute("SET preserve_insertion_order = false")
    try:
        yield
    finally:
        engine.execute(f"SET preserve_insertion_order = {'true' if previous else 'false'}")


def engine_of(db: Case | Engine) -> Engine:
    """The engine to run SQL on: a case's own (``case.engine``), or ``db`` itself when it is an
    :class:`~cibscope.engine.base.Engine`. A bare connection is a ``TypeError``: stages take the
    case or an engine."""
    if isinstance(db, Case):
        return db.engine
    from .engine.base import Engine

    if isinstance(db, Engine):
        return db
    raise TypeError(f"expected a Case or an Engine, not {type(db).__name__}")


def engine_or_connection(db: Any) -> Engine:
    """:func:`engine_of`, and a bare DuckDB connection wrapped as an engine.

    Temporary compatibility (issue 15), only for the functions whose callers outside this
    module's owners still pass ``case.con`` (``insertion_order_off``,
    ``evidence.explain.explain_account``, ``testing.insert_rows``); it goes when they move.
    """
    from .engine import as_engine

    return db.engine if isinstance(db, Case) else as_engine(db)


class Case:
    """An open case database.

    Create or open with :func:`open_case`. The case owns its DuckDB connection (``case.con``,
    closed by :meth:`close`); stages take the case and run their SQL through ``case.engine``.
    """

    def __init__(self, con: Any, path: str) -> None:
        self.con = con
        self.path = path
        self._engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        """The case's own backend (:class:`~cibscope.engine.duckdb.DuckDBEngine` over ``con``):
        what stages run their SQL through (a compute engine such as Spark is passed beside it)."""
        if self._engine is None:
            from .engine.duckdb import DuckDBEngine

            self._engine = DuckDBEngine(self.con)
        return self._engine

    # -- helpers -----------------------------------------------------------------------
    def table_exists(self, name: str) -> bool:
        row = self.engine.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
        ).fetchone()
        return bool(row and row[0])

    def count(self, table: str) -> int:
        row = self.engine.execute(f"SELECT count(*) FROM {table}").fetchone()
        return int(row[0]) if row else 0

    def reset(self, tables: tuple[Table, ...]) -> None:
        """Empty the given tables (a stage re-run replaces its outputs)."""
        for t in tables:
            self.engine.execute(f"DELETE FROM {t.name}")

    def meta(self, key: str) -> str | None:
        row = self.engine.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: Any) -> None:
        self.engine.execute("DELETE FROM meta WHERE key = ?", [key])
        self.engine.execute("INSERT INTO meta VALUES (?, ?)", [key, str(value)])

    def require_full_read(self, step: str) -> None:
        """Raise CaseStateError when a lean read (``ingest(fields=...)``) left post fields out:
        ``step`` (detect, audit, report) reads text, entities and counts of every post."""
        lean = self.meta(LEAN_FIELDS_META)
        if lean is not None:
            raise CaseStateError(
                f"{self.path}: the case was read lean (posts have only {lean.replace(',', ', ')}); {step} needs every field",
                hint=FULL_READ_HINT,
            )

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Case:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _configure(engine: Engine) -> None:
    threads = os.environ.get("CIBSCOPE_THREADS")
    if threads:
        engine.execute(f"SET threads = {int(threads)}")
    mem = os.environ.get("CIBSCOPE_MEMORY_LIMIT") or _default_memory_limit(engine)
    if mem:
        engine.execute(f"SET memory_limit = '{mem}'")
    engine.execute("SET TimeZone = 'UTC'")
    engine.execute("SET enable_progress_bar = false")  # the library never draws; the CLI shows Rich bars


_UNITS = {"bytes": 1, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40}  # as DuckDB prints a size


def memory_limit_bytes(engine: Engine) -> float | None:
    """The DuckDB engine's memory limit in bytes (DuckDB prints it as e.g. ``18.8 GiB``);
    None when it cannot be read as a size."""
    rows = engine.execute("SELECT current_setting('memory_limit')").fetchall()
    value, _, unit = str(rows[0][0] if rows else "").strip().partition(" ")
    try:
        return float(value) * _UNITS[unit]
    except (KeyError, ValueError):
        return None


def _default_memory_limit(engine: Engine) -> str | None:
    """Half of DuckDB's own default memory limit (80 % of the RAM, or of a container's limit):
    40 % of the RAM, in MiB. DuckDB's default assumes it has the process to itself; detect
    also holds numpy arrays, Arrow tables and igraph's graphs beside it. On 10M tweets
    (24 GB machine) detect peaked at 13.95 GiB with DuckDB's default and 9.96 GiB with this
    one, with the same results (docs/benchmarks.md); ``CIBSCOPE_MEMORY_LIMIT`` overrides.
    None when the setting cannot be read as a size (the engine's default stays)."""
    size = memory_limit_bytes(engine)
    return f"{max(1, int(size / 2 / 2**20))}MiB" if size else None


#: bytes 8-11 of every DuckDB database file (its header's magic)
_DUCKDB_MAGIC = b"DUCK"
_INGEST_HINT = "ingest it first: `cibscope ingest {p} --case CASE.duckdb`, then give CASE.duckdb as --case"


def _not_a_database(p: Path) -> str | None:
    """What ``p`` is when it is not a DuckDB database file ("an empty file", "a CSV file", ...);
    None when it is one. Read from its first bytes, before DuckDB opens it: DuckDB refuses an
    empty file only in read-only mode, and opens a CSV file as a database of one table."""
    with open(p, "rb") as f:
        head = f.read(4096)
    if not head:
        return "an empty file"
    if head[8:12] == _DUCKDB_MAGIC:
        return None
    for magic, kind in (
        (b"\x1f\x8b", "a gzip file"), (b"PK\x03\x04", "a zip archive"), (b"PAR1", "a Parquet file"),
        (b"SQLite format 3\x00", "an SQLite database"), (b"ARROW1", "an Arrow file"),
    ):
        if head.startswith(magic):
            return kind
    if b"\x00" in head:
        return "a binary file that is not a DuckDB database"
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    if text[:1] in ("{", "["):
        return "a JSON file"
    first = text.splitlines()[0] if text else ""
    if "," in first or "\t" in first or ";" in first:
        return "a CSV file"
    return "a text file"


def open_case(path: str | os.PathLike[str], *, create: bool = True, read_only: bool = False) -> Case:
    """Open the case at ``path``; create it (with the current schema) if ``create`` and absent.

    One rule for every command: a case is a DuckDB database file holding cibscope's ``meta``
    table. Raises :class:`SchemaError` when the file is a case of another schema version or is
    not a cibscope case: a data file (CSV, JSON, ...; "ingest it first"), a DuckDB database of
    other tables, or an empty file or empty database where a case is read (``create=False``).
    An empty file where a case may be created (ingest) becomes the new case.
    """
    p = Path(path)
    exists = p.exists()
    if not exists and not create:
        raise SchemaError(f"{p}: no such case", hint="run `cibscope ingest DATA --case FILE` first")
    if exists and p.is_dir():
        raise SchemaError(f"{p}: is a folder, expected a case database file")
    if exists:
        kind = _not_a_database(p)
        if kind == "an empty file" and create and not read_only:
            p.unlink()  # nothing to lose: DuckDB refuses to open an empty file, and makes its own
            exists = False
        elif kind == "an empty file":
            raise SchemaError(f"{p}: not a cibscope case (an empty file)", hint="run `cibscope ingest DATA --case FILE` to make a case")
        elif kind is not None:
            raise SchemaError(f"{p}: not a cibscope case ({kind})", hint=_INGEST_HINT.format(p=shlex.quote(str(p))))
    if not exists:
        p.parent.mkdir(parents=True, exist_ok=True)
    from .engine import duckdb as duckdb_engine

    try:
        con = duckdb_engine.connect(str(p), read_only=read_only and exists)
    except duckdb_engine.Error as e:  # a damaged DuckDB file, locked by another process, ...
        raise SchemaError(f"{p}: cannot open as a case database ({e})") from e
    case = Case(con, str(p))
    _configure(case.engine)
    has_meta = case.table_exists("meta")
    if exists and has_meta:
        version = case.meta("schema_version")
        if version != str(SCHEMA_VERSION):
            case.close()
            raise SchemaError(
                f"{p}: case schema version {version}, this cibscope (v{__version__}) needs version {SCHEMA_VERSION}",
                hint="re-ingest the source data into a new case file (cibscope ingest DATA --case NEW.duckdb)",
            )
    elif exists and not has_meta:
        n_tables = case.engine.execute("SELECT count(*) FROM information_schema.tables").fetchone()
        if n_tables and n_tables[0]:
            case.close()
            raise SchemaError(f"{p}: not a cibscope case (a DuckDB database of other tables: no meta table)")
        if not create:
            case.close()
            raise SchemaError(f"{p}: not a cibscope case (an empty DuckDB database)", hint="run `cibscope ingest DATA --case FILE` to make a case")
    if not read_only:
        for t in ALL_TABLES:
            case.engine.execute(t.ddl())
        if case.meta("schema_version") is None:
            case.set_meta("schema_version", SCHEMA_VERSION)
            case.set_meta("created_at", datetime.now(timezone.utc).isoformat())
            case.set_meta("cibscope_version", __version__)
    return case
