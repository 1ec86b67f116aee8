"""cibscope: find coordinated inauthentic behaviour and audit platform takedowns, with evidence.

The Python API mirrors the CLI::

    import cibscope
    report = cibscope.ingest_files(["users.csv", "tweets.csv"], case="c.duckdb")

``cibscope.ingest`` is the ingest subpackage (readers, finalize), not a function:
``ingest_files`` is :func:`cibscope.ingest.ingest` under a name that does not hide it.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .case import Case, open_case  # noqa: E402
from .errors import CibscopeError, InputError, ParameterError, SchemaError  # noqa: E402
from .ingest import IngestReport  # noqa: E402
from .ingest import ingest as ingest_files  # noqa: E402

__all__ = [
    "Case",
    "CibscopeError",
    "IngestReport",
    "InputError",
    "ParameterError",
    "SchemaError",
    "__version__",
    "ingest_files",
    "open_case",
]
