"""Where cibscope's SQL runs: the engine seam (:mod:`.base`) and its two engines.

* :class:`~cibscope.engine.duckdb.DuckDBEngine`: the default; the case's own connection.
* :class:`~cibscope.engine.spark.SparkEngine`: Apache Spark (``local[2]`` or any cluster), the
  same SQL transpiled per statement; the case's tables go to Spark as Parquet, the results
  (edges, evidence, post keys) come back as Arrow.

Stages take the case or an :class:`Engine` (``db: Case | Engine``); :func:`as_engine` wraps a
bare DuckDB connection, kept for the tests that pass ``case.con`` (no package module does).
"""

from __future__ import annotations

from typing import Any

from ..errors import ParameterError
from .base import Capabilities, Engine, Result

__all__ = ["Capabilities", "Engine", "Result", "ENGINES", "as_engine", "start_engine"]

#: engine names for ``--engine``
ENGINES = ("duckdb", "spark")


def as_engine(con: Any) -> Engine:
    """``con`` itself when it is an :class:`Engine`, else a DuckDB connection wrapped as one."""
    if isinstance(con, Engine):
        return con
    from .duckdb import DuckDBEngine

    return DuckDBEngine(con)


def start_engine(name: str, *, spark_master: str | None = None, driver_memory: str | None = None) -> Engine | None:
    """The compute engine called ``name``: None for ``duckdb`` (the case's own connection),
    a started :class:`~cibscope.engine.spark.SparkEngine` for ``spark``."""
    if name == "duckdb":
        if spark_master:
            raise ParameterError("--spark-master needs --engine spark")
        if driver_memory:
            raise ParameterError("--spark-driver-memory needs --engine spark")
        return None
    if name == "spark":
        from .spark import SparkEngine

        return SparkEngine.start(spark_master, driver_memory=driver_memory)
    raise ParameterError(f"unknown engine {name!r}; expected one of {', '.join(ENGINES)}")
