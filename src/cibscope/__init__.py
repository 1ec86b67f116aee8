"""cibscope: find coordinated inauthentic behaviour and audit platform takedowns, with evidence.

The Python API mirrors the CLI::

    import cibscope
    report = cibscope.ingest_files(["users.csv", "tweets.csv"], case="c.duckdb")
    result = cibscope.run("c.duckdb", cibscope.DetectConfig.from_params({"groups.resolution": 0.05}), out="out")

``cibscope.run`` is the detection pipeline (:func:`cibscope.pipeline.run`: networks, multiplex,
groups, null copies, decisions, scores, exports, in that order), ``DetectConfig`` its typed and
validated parameters, ``PipelineResult`` what it returns.

``cibscope.ingest`` is the ingest subpackage (readers, finalize), not a function:
``ingest_files`` is :func:`cibscope.ingest.ingest` under a name that does not hide it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

from .case import Case, open_case  # noqa: E402
from .errors import CibscopeError, InputError, ParameterError, SchemaError  # noqa: E402
from .ingest import IngestReport  # noqa: E402
from .ingest import ingest as ingest_files  # noqa: E402

if TYPE_CHECKING:
    from .pipeline import DetectConfig, PipelineResult, run

#: the pipeline's names, imported on first use (``cibscope --help`` does not load the stages)
_PIPELINE = ("DetectConfig", "PipelineResult", "run")


def __getattr__(name: str) -> Any:
    if name in _PIPELINE:
        from . import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'cibscope' has no attribute {name!r}")

__all__ = [
    "Case",
    "CibscopeError",
    "DetectConfig",
    "IngestReport",
    "InputError",
    "ParameterError",
    "PipelineResult",
    "SchemaError",
    "__version__",
    "ingest_files",
    "open_case",
    "run",
]
