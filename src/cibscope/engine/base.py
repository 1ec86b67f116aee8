"""The engine seam: what cibscope's stages need from a SQL engine, and what each engine can do.

Stages write their SQL once, in DuckDB's dialect, and run it through an :class:`Engine`. An
engine that speaks another dialect (Spark) transpiles each statement at execution time
(:func:`cibscope.sql.transpile`, with the rewrites sqlglot does not make). What cannot be
rewritten is *declared* (:class:`Capabilities`), and the stage asks the engine instead of
guessing: near_duplicate hashes its shingles on the driver when the engine has no 64-bit hash
equal to DuckDB's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

__all__ = ["Capabilities", "Engine", "Result"]


@dataclass(frozen=True)
class Capabilities:
    """What an engine's SQL can do the way cibscope's DuckDB SQL expects.

    hash64 : ``hash(VARCHAR)`` is DuckDB's 64-bit string hash (near_duplicate's shingle hash);
        else the shingle strings are hashed on the driver (:func:`cibscope.engine.duckdb.hash64`).
    one_based_lists : list indexing and ``range``/``substr`` positions start at 1 (DuckDB).
        cibscope's SQL indexes no list (a test checks), so both engines run it.
    unicode_script_classes : how a regular expression names a Unicode script: ``\\p{Han}``
        (RE2, DuckDB) or ``\\p{IsHan}`` (Java, Spark); :func:`cibscope.sql.spark_regex` rewrites.
    rowid : stored tables have DuckDB's ``rowid``; else it is ``monotonically_increasing_id()``
        and a view reading it is materialised, so its ids never change between scans.
    shares_case : the engine *is* the case's connection: stage outputs go into the case
        tables with ``INSERT ... SELECT``; else they travel as Arrow to the case.
    """

    hash64: bool
    one_based_lists: bool
    unicode_script_classes: str
    rowid: bool
    shares_case: bool


class Result:
    """Rows of one statement: ``fetchall``, ``fetchone``, ``fetchnumpy`` or ``arrow``."""

    def __init__(self, table: pa.Table | None) -> None:
        self._table = table if table is not None else pa.table({})

    def arrow(self) -> pa.Table:
        return self._table

    def fetchall(self) -> list[tuple[Any, ...]]:
        cols = [c.to_pylist() for c in self._table.columns]
        return list(zip(*cols)) if cols else []

    def fetchone(self) -> tuple[Any, ...] | None:
        rows = self.fetchall()
        return rows[0] if rows else None

    def fetchnumpy(self) -> dict[str, np.ndarray]:
        return {n: self._table.column(n).to_numpy(zero_copy_only=False) for n in self._table.column_names}

    @property
    def description(self) -> list[tuple[str, ...]]:
        return [(n,) for n in self._table.column_names]


class Engine:
    """A SQL engine cibscope's stages run on (see the module docstring).

    Every method takes DuckDB SQL. Temp objects are named ``_cib_*`` and live as long as the
    engine (or until :meth:`drop`).
    """

    name: str = ""
    dialect: str = "duckdb"
    capabilities: Capabilities

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        """Run one statement (``CREATE OR REPLACE TEMP TABLE/VIEW``, ``DROP``, ``SELECT``, ...);
        returns an object with ``fetchall``/``fetchone``/``fetchnumpy``/``arrow``."""
        raise NotImplementedError

    def fetch_arrow(self, sql: str, params: Sequence[Any] | None = None) -> pa.Table:
        raise NotImplementedError

    def fetch_numpy(self, sql: str, params: Sequence[Any] | None = None) -> dict[str, np.ndarray]:
        t = self.fetch_arrow(sql, params)
        return {n: t.column(n).to_numpy(zero_copy_only=False) for n in t.column_names}

    def columns(self, sql: str) -> list[str]:
        """The output column names of a SELECT (nothing runs)."""
        raise NotImplementedError

    def register_arrow(self, name: str, table: pa.Table) -> None:
        """Make an Arrow table readable by name (until :meth:`unregister`)."""
        raise NotImplementedError

    def unregister(self, name: str) -> None:
        raise NotImplementedError

    def materialise(self, name: str, sql: str) -> None:
        """``CREATE OR REPLACE TEMP TABLE name AS sql``: stored (Spark: persisted and counted,
        so every later scan sees the same rows)."""
        self.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")

    def exists(self, name: str) -> bool:
        """Is there a temp table or view of this name?"""
        raise NotImplementedError

    def drop(self, name: str) -> None:
        """Drop a temp table or view if it exists."""
        raise NotImplementedError

    def write_parquet(self, sql: str, path: str) -> None:
        """Write a SELECT's rows to one Parquet file (Spark: a folder of part files)."""
        raise NotImplementedError

    def close(self) -> None:
        """Release what the engine holds (the DuckDB engine never closes the case's connection)."""
