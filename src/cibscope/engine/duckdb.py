"""The DuckDB engine: the case's own connection, no translation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from .base import Capabilities, Engine

__all__ = ["DuckDBEngine", "hash64"]


class DuckDBEngine(Engine):
    """Runs cibscope's SQL as it is written, on a DuckDB connection (usually ``case.con``)."""

    name = "duckdb"
    dialect = "duckdb"
    capabilities = Capabilities(
        hash64=True, one_based_lists=True, unicode_script_classes="\\p{Han}", rowid=True, shares_case=True
    )

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        return self.con.execute(sql, list(params) if params is not None else None)

    def fetch_arrow(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        self.con.complete()  # DuckDB 2 refuses a relation while an execute() result is unfinished
        return self.con.sql(sql, params=list(params) if params is not None else None).to_arrow_table()

    def fetch_numpy(self, sql: str, params: Sequence[Any] | None = None) -> dict[str, np.ndarray]:
        return self.con.execute(sql, list(params) if params is not None else None).fetchnumpy()

    def columns(self, sql: str) -> list[str]:
        cur = self.con.execute(f"SELECT * FROM ({sql}) AS q LIMIT 0")
        names = [d[0] for d in cur.description]
        cur.fetchall()  # DuckDB refuses further work on a connection with an unfinished result
        return names

    def register_arrow(self, name: str, table: pa.Table) -> None:
        self.con.execute("SELECT 1").fetchall()  # DuckDB 2 refuses register() while a result is unfinished
        self.con.register(name, table)

    def unregister(self, name: str) -> None:
        self.con.unregister(name)

    def exists(self, name: str) -> bool:
        row = self.con.execute(
            "SELECT (SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name = ?) "
            "+ (SELECT count(*) FROM duckdb_views() WHERE temporary AND view_name = ?)",
            [name, name],
        ).fetchall()[0]
        return bool(row[0])

    def drop(self, name: str) -> None:
        kind = self.con.execute(
            "SELECT (SELECT count(*) FROM duckdb_views() WHERE temporary AND view_name = ?)", [name]
        ).fetchall()[0][0]
        self.con.execute(f"DROP {'VIEW' if kind else 'TABLE'} IF EXISTS {name}")

    def write_parquet(self, sql: str, path: str) -> None:
        self.con.execute(f"COPY ({sql}) TO '{_quote(path)}' (FORMAT parquet)")


def _quote(s: str) -> str:
    return s.replace("'", "''")


_HASHER: duckdb.DuckDBPyConnection | None = None


def hash64(strings: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """DuckDB's 64-bit ``hash`` of each string, computed on the driver (uint64).

    For an engine without it (``Capabilities.hash64`` false: Spark's ``hash`` is 32-bit), so a
    trace that hashes strings (near_duplicate's shingles) gives the same values, and the same
    results, on every engine. (DuckDB's hash is not promised stable across DuckDB versions;
    the pinned range in pyproject.toml bounds that.)
    """
    global _HASHER
    if _HASHER is None:
        _HASHER = duckdb.connect()
    tab = pa.table({"s": strings})
    _HASHER.register("_cib_hash_in", tab)
    try:
        out = _HASHER.execute("SELECT hash(s) AS h FROM _cib_hash_in").fetchnumpy()["h"]
    finally:
        _HASHER.unregister("_cib_hash_in")
    return np.asarray(out, dtype=np.uint64)


# -- opening DuckDB, for the case and the driver-side writers (the only place cibscope calls duckdb.connect) --

#: DuckDB's error classes, for the modules that open a file (``Error``: any DuckDB error)
Error = duckdb.Error
#: a DuckDB connection (the type, for the modules that take one: the readers)
Connection = duckdb.DuckDBPyConnection
#: DuckDB's I/O error (the readers tell a broken gzip stream by it)
IOException = duckdb.IOException


def connect(path: str = ":memory:", *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection to ``path`` (an in-memory database by default).

    :func:`cibscope.case.open_case` opens the case file with it (the :class:`~cibscope.case.Case`
    owns the connection; stages reach it through ``case.engine``); a writer that needs a scratch
    database of its own (an Arrow table written as CSV) takes :func:`scratch`."""
    return duckdb.connect(path, read_only=read_only)


def scratch(threads: int | None = None) -> DuckDBEngine:
    """A :class:`DuckDBEngine` over a new in-memory database (``threads``: DuckDB's setting;
    1 keeps rows in the order they are read). Its :meth:`close` closes the database."""
    con = duckdb.connect()
    if threads is not None:
        con.execute(f"SET threads = {int(threads)}")
    return _ScratchEngine(con)


class _ScratchEngine(DuckDBEngine):
    """A DuckDB engine that owns its (in-memory) connection: :meth:`close` closes it."""

    def close(self) -> None:
        self.con.close()


def execute_parallel(engine: Engine, statements: Sequence[str], workers: int = 2) -> list[int]:
    """Run statements that each return one count (``COPY``) ``workers`` at a time, on cursors of
    a DuckDB engine's connection (DuckDB compresses one gzip file per thread); another engine
    runs them one after another. Returns each statement's count, in order."""
    if not isinstance(engine, DuckDBEngine):
        return [_count(engine.execute(st).fetchone()) for st in statements]
    from concurrent.futures import ThreadPoolExecutor

    con = engine.con

    def run(st: str) -> int:
        cur = con.cursor()
        try:
            return _count(cur.execute(st).fetchone())
        finally:
            cur.close()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(run, statements))


def _count(row: Any) -> int:
    return int(row[0]) if row else 0


def arrow_batches(engine: Engine, sql: str, rows: int = 100_000) -> Any:
    """The rows of a SELECT as Arrow record batches of up to ``rows`` rows: streamed from DuckDB
    (the result is never whole in memory), fetched whole from another engine."""
    if not isinstance(engine, DuckDBEngine):
        return engine.fetch_arrow(sql).to_batches(rows)
    engine.con.execute("SELECT 1").fetchall()  # DuckDB 2 refuses a relation while a result is unfinished
    return engine.con.sql(sql).to_arrow_reader(rows)


# -- for the ingest readers: the DuckDB-only calls they make, through the engine (issue 15) --


def executemany(engine: DuckDBEngine, sql: str, rows: Sequence[Sequence[Any]]) -> None:
    """Run the parameterised statement ``sql`` once per row of ``rows``, in one call (DuckDB's
    ``executemany``: a reader's few quarantined rows, without a Python call per row)."""
    engine.con.executemany(sql, rows)


def create_function(engine: DuckDBEngine, name: str, function: Any, parameters: Sequence[str], return_type: str, **options: Any) -> None:
    """Create the Python function ``function`` as the SQL function ``name`` on the engine's
    connection (DuckDB's ``create_function``; ``options``: its keywords, e.g. ``type="arrow"``)."""
    engine.con.create_function(name, function, list(parameters), return_type, **options)
