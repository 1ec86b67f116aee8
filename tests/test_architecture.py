"""The engine seam holds in the source: only the engines import DuckDB or PySpark (issue 15).

Every module under src/cibscope is parsed with ``ast`` (nothing is imported). A module outside
``src/cibscope/engine/`` that imports ``duckdb`` or ``pyspark`` fails the test unless it is on
:data:`NOT_YET_MOVED`, and the list is exact: a listed module that no longer imports them fails
too, so the list only shrinks. The modules already moved take the case (or an engine), never a
raw connection: none of their public functions has a parameter named ``con`` and none reads
``.con`` off an object (:data:`CON_READS` lists the calls into modules not yet moved).
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "cibscope"
BACKENDS = ("duckdb", "pyspark")

#: modules (relative to src/cibscope) that still import duckdb/pyspark; issue 15 moves them onto
#: the engine seam one by one. Remove a module here when it stops importing them.
NOT_YET_MOVED = frozenset({
})

#: modules moved onto the case/engine: no public ``con`` parameter, no ``.con`` read
MOVED = (
    "audit/", "disclose/", "report/", "mediapolicy/", "referral/", "export.py", "platforms.py", "testing.py",
    "evidence/", "groups/", "case.py", "__init__.py", "cli/audit.py", "cli/report.py", "cli/disclose.py",
    "cli/platforms.py", "cli/media_policy.py", "cli/referral.py", "ingest/", "cli/ingest.py", "pipeline.py",
    "detect.py", "evaluate.py", "cli/detect.py", "cli/network.py", "cli/common.py", "traces/", "networks/", "onelayer.py",
)

#: (module, function called with ``case.con``): calls into modules not yet moved, whose signature
#: still takes the connection; exact, like NOT_YET_MOVED
CON_READS: frozenset[tuple[str, str]] = frozenset()

#: the one place a raw connection is a parameter: the Case, which owns it
CON_OWNERS = frozenset({("case.py", "Case.__init__")})


def _modules() -> dict[str, ast.Module]:
    return {p.relative_to(SRC).as_posix(): ast.parse(p.read_text(encoding="utf-8"), str(p)) for p in sorted(SRC.rglob("*.py"))}


def _imports_backend(tree: ast.Module) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] in BACKENDS]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and node.module.split(".")[0] in BACKENDS:
            found.append(node.module)
    return found


def _moved(rel: str) -> bool:
    return any(rel == m or (m.endswith("/") and rel.startswith(m)) for m in MOVED)


def test_only_the_engines_import_duckdb_or_pyspark() -> None:
    mods = _modules()
    assert "engine/duckdb.py" in mods and _imports_backend(mods["engine/duckdb.py"]), "the scan finds no import at all"
    importing = {rel for rel, tree in mods.items() if not rel.startswith("engine/") and _imports_backend(tree)}
    new = sorted(importing - NOT_YET_MOVED)
    assert not new, f"import duckdb/pyspark only in src/cibscope/engine/ (use case.engine, cibscope.engine.duckdb): {new}"
    gone = sorted(NOT_YET_MOVED - importing)
    assert not gone, f"these no longer import duckdb/pyspark: remove them from NOT_YET_MOVED: {gone}"
    assert not any(_moved(m) for m in NOT_YET_MOVED)


def _public_functions(tree: ast.Module) -> list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    out: list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]] = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not node.name.startswith("_"):
            out.append((node.name, node))
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            for m in node.body:
                if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef)) and (not m.name.startswith("_") or m.name == "__init__"):
                    out.append((f"{node.name}.{m.name}", m))
    return out


def test_moved_modules_take_no_connection() -> None:
    mods = {rel: tree for rel, tree in _modules().items() if _moved(rel)}
    assert "audit/__init__.py" in mods and "case.py" in mods
    with_con = []
    for rel, tree in mods.items():
        for name, fn in _public_functions(tree):
            a = fn.args
            if any(arg.arg == "con" for arg in [*a.posonlyargs, *a.args, *a.kwonlyargs]) and (rel, name) not in CON_OWNERS:
                with_con.append(f"{rel}:{name}")
    assert not with_con, f"public functions taking a raw connection (take the Case or an Engine): {with_con}"
    for owner in CON_OWNERS:  # the exemption names a real parameter
        fns = dict(_public_functions(mods[owner[0]]))
        assert "con" in [x.arg for x in fns[owner[1]].args.args]


def _call_name(node: ast.Call) -> str:
    f = node.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""


def test_moved_modules_read_no_connection_off_the_case() -> None:
    reads = set()
    for rel, tree in _modules().items():
        if not _moved(rel) or rel == "case.py":
            continue
        calls = {id(arg): _call_name(n) for n in ast.walk(tree) if isinstance(n, ast.Call) for arg in n.args}
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "con":
                reads.add((rel, calls.get(id(node), "?")))
    assert reads == CON_READS, f"`.con` read outside case.py (use case.engine): {sorted(reads - CON_READS)}; no longer read: {sorted(CON_READS - reads)}"


def test_the_ingest_subpackage_is_not_hidden_by_a_function() -> None:
    import importlib
    import types

    import cibscope

    base = importlib.import_module("cibscope.ingest.base")
    assert isinstance(cibscope.ingest, types.ModuleType) and cibscope.ingest.base is base
    assert cibscope.ingest_files is cibscope.ingest.ingest
    assert "ingest" not in cibscope.__all__ and "ingest_files" in cibscope.__all__
