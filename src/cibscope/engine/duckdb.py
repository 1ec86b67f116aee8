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
