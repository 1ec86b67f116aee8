"""cibscope: find coordinated inauthentic behaviour and audit platform takedowns, with evidence.

The Python API mirrors the CLI::

    import cibscope
    report = cibscope.ingest(["users.csv", "tweets.csv"], case="c.duckdb")
"""

from __future__ import annotations

__version__ = "0.1.0"

from .case import Case, open_case  # noqa: E402
from .errors import CibscopeError, InputError, ParameterError, SchemaError  # noqa: E402
from .ingest import IngestReport, ingest  # noqa: E402

__all__ = [
    "Case",
    "CibscopeError",
    "IngestReport",
    "InputError",
    "ParameterError",
    "SchemaError",
    "__version__",
    "ingest",
    "open_case",
]
