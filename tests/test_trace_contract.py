"""Every registered trace passes the contract kit (cibscope.testing.check_trace)."""

from __future__ import annotations

from typing import ClassVar

import pytest

from cibscope.errors import ParameterError
from cibscope.testing import check_trace
from cibscope.traces import TRACES, get_trace, register_trace
from cibscope.traces.base import Trace


@pytest.mark.parametrize("name", list(TRACES))
def test_registered_trace_honours_the_contract(name: str) -> None:
    check_trace(TRACES[name])


def test_layers_are_unique() -> None:
    layers = [t.layer for t in TRACES.values()]
    assert len(layers) == len(set(layers)) == len(TRACES)


class _SelfPairs(Trace):
    """A broken plugin: a constant key and the post id as account -> self pairs impossible, but
    no source: the kit must catch the NULL sources."""

    name: ClassVar[str] = "broken_no_source"
    description: ClassVar[str] = "test"
    benign_causes: ClassVar[tuple[str, ...]] = ("test",)

    def sql(self) -> str:
        return "SELECT p.account_id, 'k' AS key, p.created_at AS at, p.post_id, CAST(NULL AS VARCHAR) AS source FROM posts AS p"


class _NoDefault(Trace):
    name: ClassVar[str] = "broken_default"
    description: ClassVar[str] = "test"
    benign_causes: ClassVar[tuple[str, ...]] = ("test",)
    own_constraints: ClassVar[dict] = {"k": __import__("cibscope.params", fromlist=["Interval"]).Interval(int, 1, None)}
    own_defaults: ClassVar[dict] = {"k": 0}

    def sql(self) -> str:
        return "SELECT p.account_id, 'k' AS key, p.created_at AS at, p.post_id, p.source_file AS source FROM posts AS p"


def test_kit_catches_broken_traces() -> None:
    with pytest.raises(AssertionError, match="without account or source"):
        check_trace(_SelfPairs)
    with pytest.raises(AssertionError, match="violates its own constraint"):
        check_trace(_NoDefault)


def test_registry_rejects_a_second_trace_of_the_same_name() -> None:
    class Dup(Trace):
        name: ClassVar[str] = "co_retweet"

    with pytest.raises(ParameterError, match="already registered"):
        register_trace(Dup)
    assert get_trace("co_retweet").__name__ == "CoRetweet"


def _doc_sections() -> dict[str, str]:
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "traces.md").read_text(encoding="utf-8")
    parts = text.split("\n## ")
    return {p.split("\n", 1)[0].strip(): p for p in parts[1:]}


@pytest.mark.parametrize("name", list(TRACES))
def test_every_trace_and_parameter_is_documented(name: str) -> None:
    """docs/traces.md has a section per trace with every parameter and its current default."""
    sections = _doc_sections()
    assert name in sections, f"docs/traces.md has no '## {name}' section"
    sec = sections[name]
    cls = TRACES[name]
    assert "benign" in sec.lower()
    defaults = cls.defaults()
    for p, c in cls.parameter_constraints().items():
        d = defaults[p]
        shown = repr(d) if isinstance(d, str) else str(d)
        assert f"| `{p}` | `{shown}` | {c.describe()} |" in sec, f"{name}: parameter {p!r} (default {shown}) not documented as in the code"
    if cls.windowed:
        assert f"*window* {cls.default_window:g} s" in sec
