"""Exports next to the report: CSV, Parquet and JSON tables; the fused network as GEXF and GraphML.

Why these: analysts open CSV in spreadsheets, scripts read Parquet/JSON, and Gephi (or
NetworkX, Cytoscape) reads GEXF/GraphML. Every text cell was written by whoever ran the
accounts: CSV cells starting with a formula prefix (:data:`cibscope.export.FORMULA_PREFIXES`) get an
apostrophe, as in :func:`cibscope.export.write_csv`, but done by DuckDB (:func:`neutralise_sql`); XML
text is escaped and stripped of characters XML 1.0 cannot carry (a NUL in a display name would
otherwise make the whole file unreadable to Gephi).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TextIO
from xml.sax.saxutils import escape, quoteattr

from ..case import Case
from ..export import xml_text
from ..progress import Progress, step

__all__ = ["write_exports", "write_csv_sql", "neutralise_sql", "write_gexf", "write_graphml", "xml_text", "EXPORT_QUERIES"]

# name -> (SQL, table that must have rows for the export to be written)
EXPORT_QUERIES: dict[str, tuple[str, str]] = {
    "accounts": (
        """SELECT a.account_id, a.platform, a.screen_name, a.display_name, a.description, a.location,
                  a.follower_count, a.following_count, a.created_at, a.account_language,
                  s.score, coalesce(s.flagged, false) AS flagged, s.group_id, s.top_reasons,
                  a.source_file, a.source_line
           FROM accounts a LEFT JOIN scores s USING (account_id)
           ORDER BY s.score DESC NULLS LAST, a.account_id""",
        "accounts",
    ),
    "groups": (
        """SELECT g.group_id, g.size, g.layers, g.start_at, g.end_at, g.cohesion, g.top_items,
                  (SELECT string_agg(m.account_id, ' ' ORDER BY m.account_id) FROM group_members m
                   WHERE m.group_id = g.group_id) AS members
           FROM groups g ORDER BY g.size DESC, g.group_id""",
        "groups",
    ),
    "verdicts": ("SELECT * FROM audit_verdicts ORDER BY account_id", "audit_verdicts"),
    "claims": ("SELECT * FROM claim_results ORDER BY claim_id", "claim_results"),
    "evidence": (
        """SELECT e.*, pa.text AS text_a, pb.text AS text_b
           FROM evidence e LEFT JOIN posts pa ON pa.post_id = e.post_a LEFT JOIN posts pb ON pb.post_id = e.post_b
           ORDER BY e.evidence_id""",
        "evidence",
    ),
}

# Above this many rows CSV and JSON are gzipped: the evidence of a million-post case is ~1M rows
# (0.5 GB of CSV, 0.7 GB of JSON uncompressed); no spreadsheet opens that anyway, and
# pandas/DuckDB read the .gz directly. Parquet is always written (zstd), and is the smallest.
GZIP_ROWS = 200_000
def _sql_path(p: Path) -> str:
    return "'" + str(p).replace("'", "''") + "'"


def neutralise_sql(column: str) -> str:
    """SQL twin of :func:`cibscope.export.neutralise_cell` for one text column.

    Why a twin: ``write_csv`` formats cells one by one in Python (about 14 µs a cell), which
    is minutes for the evidence of a million-post case; DuckDB writes the same CSV in well under
    a second. The rule stays in one place: the prefixes are :data:`cibscope.export.FORMULA_PREFIXES`,
    and the tests check that both give the same cells.
    """
    from ..export import FORMULA_PREFIXES

    firsts = ", ".join(f"chr({ord(p)})" for p in FORMULA_PREFIXES)
    return f"CASE WHEN left({column}, 1) IN ({firsts}) THEN chr(39) || {column} ELSE {column} END"


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _csv_select(case: Case, sql: str) -> str:
    """``sql`` with every text column neutralised (list/struct columns are cast to text first)."""
    desc = case.con.execute(f"SELECT * FROM ({sql}) LIMIT 0").description
    parts = []
    for name, typ, *_ in desc:
        q = _quote_ident(name)
        t = str(typ)
        if t == "VARCHAR":
            parts.append(f"{neutralise_sql(q)} AS {q}")
        elif t.endswith("[]") or t.startswith(("STRUCT", "MAP")):
            parts.append(f"{neutralise_sql(f'CAST({q} AS VARCHAR)')} AS {q}")
        else:
            parts.append(q)
    return f"SELECT {', '.join(parts)} FROM ({sql})"


def _run_parallel(case: Case, statements: list[str], workers: int = 2) -> list[int]:
    """Run COPY statements on ``workers`` cursors of the case; return each one's row count."""
    from concurrent.futures import ThreadPoolExecutor

    def run(st: str) -> int:
        cur = case.con.cursor()
        try:
            row = cur.execute(st).fetchone()
            return int(row[0]) if row else 0
        finally:
            cur.close()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(run, statements))


def _format_name(f: Path) -> str:
    return f.name.split(".", 1)[1].upper().replace(".GZ", " (gzip)")


def write_csv_sql(case: Case, sql: str, path: Path, *, compression: str = "") -> int:
    """Write the result of ``sql`` as a formula-safe CSV with DuckDB; return the row count."""
    row = case.con.execute(
        f"COPY ({_csv_select(case, sql)}) TO {_sql_path(path)} (FORMAT csv, HEADER true{compression})"
    ).fetchone()
    return int(row[0]) if row else 0


def write_exports(case: Case, out: Path, *, progress: Progress | None = None) -> list[dict[str, Any]]:
    """Write every export that has rows into ``out``; return what was written, for the index.

    Tables are written as ``NAME.csv``, ``NAME.parquet`` and ``NAME.json`` (an array of
    objects); the network as ``network.gexf`` and ``network.graphml``.
    """
    out.mkdir(parents=True, exist_ok=True)
    written: list[dict[str, Any]] = []
    todo = [(n, q) for n, (q, t) in EXPORT_QUERIES.items() if case.table_exists(t) and case.count(t) > 0]
    with step(progress, "report: exports", len(todo) + 1) as h:
        plans = []
        for name, sql in todo:
            big = int(case.con.execute(f"SELECT count(*) FROM ({sql})").fetchone()[0]) > GZIP_ROWS  # type: ignore[index]
            gz = ".gz" if big else ""
            files = [out / f"{name}.csv{gz}", out / f"{name}.parquet", out / f"{name}.json{gz}"]
            for stale in (out / f"{name}.csv{'' if big else '.gz'}", out / f"{name}.json{'' if big else '.gz'}"):
                stale.unlink(missing_ok=True)
            comp = ", COMPRESSION gzip" if big else ""
            statements = [
                f"COPY ({_csv_select(case, sql)}) TO {_sql_path(files[0])} (FORMAT csv, HEADER true{comp})",
                f"COPY ({sql}) TO {_sql_path(files[1])} (FORMAT parquet, COMPRESSION zstd)",
                f"COPY ({sql}) TO {_sql_path(files[2])} (FORMAT json, ARRAY true{comp})",
            ]
            plans.append((name, files, statements))
        # gzip runs on one thread per file in DuckDB: two files at a time keep both cores busy.
        counts = _run_parallel(case, [st for _, _, sts in plans for st in sts])
        for i, (name, files, _) in enumerate(plans):
            written.append(
                {"name": name, "rows": counts[3 * i],
                 "files": [{"format": _format_name(f), "file": f.name, "size": f.stat().st_size} for f in files]}
            )
            h.advance()
        if case.count("edges") > 0:
            nodes, edges, layers = fused_network(case)
            g1, g2 = out / "network.gexf", out / "network.graphml"
            with open(g1, "w", encoding="utf-8") as f:
                write_gexf(f, nodes, edges, layers)
            with open(g2, "w", encoding="utf-8") as f:
                write_graphml(f, nodes, edges, layers)
            written.append(
                {"name": "network (fused)", "rows": len(edges),
                 "files": [{"format": p.suffix[1:].upper(), "file": p.name, "size": p.stat().st_size} for p in (g1, g2)]}
            )
        h.advance()
    return written


# -- the fused network ----------------------------------------------------------------------------
NODE_ATTRS = (("screen_name", "string"), ("display_name", "string"), ("score", "double"), ("flagged", "boolean"), ("group_id", "integer"))


def fused_network(case: Case) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[str]]:
    """Nodes (accounts on any edge), fused edges (one per pair: total weight, layers, per-layer
    weights) and the sorted list of layers. The per-layer weights stay attributes so Gephi can
    filter on one trace."""
    layers = [r[0] for r in case.con.execute("SELECT DISTINCT layer FROM edges ORDER BY layer").fetchall()]
    edges = []
    for a, b, weight, n_shared, ls, ws in case.con.execute(
        """SELECT account_a, account_b, sum(weight), sum(n_shared), list(layer ORDER BY layer), list(weight ORDER BY layer)
           FROM edges GROUP BY account_a, account_b ORDER BY account_a, account_b"""
    ).fetchall():
        edges.append({"source": a, "target": b, "weight": float(weight or 0), "n_shared": int(n_shared or 0),
                      "layers": ",".join(ls), "per_layer": dict(zip(ls, ws))})
    nodes = []
    for row in case.con.execute(
        """WITH ids AS (SELECT account_a AS account_id FROM edges UNION SELECT account_b FROM edges)
           SELECT ids.account_id, a.screen_name, a.display_name, s.score, coalesce(s.flagged, false), s.group_id
           FROM ids LEFT JOIN accounts a USING (account_id) LEFT JOIN scores s USING (account_id)
           ORDER BY ids.account_id"""
    ).fetchall():
        nodes.append(dict(zip(("id", *[n for n, _ in NODE_ATTRS]), row)))
    return nodes, edges, layers


def _fmt(value: Any, kind: str) -> str:
    if kind == "boolean":
        return "true" if value else "false"
    return xml_text(value)


def write_gexf(f: TextIO, nodes: list[dict[str, Any]], edges: list[dict[str, Any]], layers: list[str]) -> None:
    """GEXF 1.3 (Gephi's own format), undirected, with node and edge attributes."""
    edge_attrs = [("layers", "string"), ("n_shared", "long")] + [(f"w_{layer}", "double") for layer in layers]
    f.write('<?xml version="1.0" encoding="UTF-8"?>\n<gexf xmlns="http://gexf.net/1.3" version="1.3">\n')
    f.write("  <meta><creator>cibscope</creator><description>fused coordination network</description></meta>\n")
    f.write('  <graph defaultedgetype="undirected" mode="static">\n    <attributes class="node">\n')
    for i, (name, kind) in enumerate(NODE_ATTRS):
        f.write(f'      <attribute id="{i}" title={quoteattr(name)} type="{kind}"/>\n')
    f.write('    </attributes>\n    <attributes class="edge">\n')
    for i, (name, kind) in enumerate(edge_attrs):
        f.write(f'      <attribute id="{i}" title={quoteattr(xml_text(name))} type="{kind}"/>\n')
    f.write("    </attributes>\n    <nodes>\n")
    for n in nodes:
        label = n["screen_name"] or n["id"]
        f.write(f"      <node id={quoteattr(xml_text(n['id']))} label={quoteattr(xml_text(label))}><attvalues>")
        for i, (name, kind) in enumerate(NODE_ATTRS):
            if n[name] is not None:
                f.write(f'<attvalue for="{i}" value={quoteattr(_fmt(n[name], kind))}/>')
        f.write("</attvalues></node>\n")
    f.write("    </nodes>\n    <edges>\n")
    for k, e in enumerate(edges):
        f.write(
            f'      <edge id="{k}" source={quoteattr(xml_text(e["source"]))} target={quoteattr(xml_text(e["target"]))}'
            f' weight="{e["weight"]!r}"><attvalues>'
            f'<attvalue for="0" value={quoteattr(xml_text(e["layers"]))}/><attvalue for="1" value="{e["n_shared"]}"/>'
        )
        for i, layer in enumerate(layers):
            if layer in e["per_layer"]:
                f.write(f'<attvalue for="{i + 2}" value="{float(e["per_layer"][layer] or 0)!r}"/>')
        f.write("</attvalues></edge>\n")
    f.write("    </edges>\n  </graph>\n</gexf>\n")


def write_graphml(f: TextIO, nodes: list[dict[str, Any]], edges: list[dict[str, Any]], layers: list[str]) -> None:
    """GraphML, undirected, with the same attributes as the GEXF file."""
    kinds = {"string": "string", "double": "double", "boolean": "boolean", "integer": "int", "long": "long"}
    f.write('<?xml version="1.0" encoding="UTF-8"?>\n<graphml xmlns="http://graphml.graphdrawing.org/xmlns">\n')
    for i, (name, kind) in enumerate(NODE_ATTRS):
        f.write(f'  <key id="n{i}" for="node" attr.name="{name}" attr.type="{kinds[kind]}"/>\n')
    edge_attrs = [("weight", "double"), ("layers", "string"), ("n_shared", "long")] + [(f"w_{layer}", "double") for layer in layers]
    for i, (name, kind) in enumerate(edge_attrs):
        f.write(f'  <key id="e{i}" for="edge" attr.name={quoteattr(xml_text(name))} attr.type="{kinds[kind]}"/>\n')
    f.write('  <graph id="cibscope" edgedefault="undirected">\n')
    for n in nodes:
        f.write(f"    <node id={quoteattr(xml_text(n['id']))}>")
        for i, (name, kind) in enumerate(NODE_ATTRS):
            if n[name] is not None:
                f.write(f'<data key="n{i}">{escape(_fmt(n[name], kind))}</data>')
        f.write("</node>\n")
    for e in edges:
        f.write(f"    <edge source={quoteattr(xml_text(e['source']))} target={quoteattr(xml_text(e['target']))}>")
        f.write(f'<data key="e0">{e["weight"]!r}</data><data key="e1">{escape(xml_text(e["layers"]))}</data>')
        f.write(f'<data key="e2">{e["n_shared"]}</data>')
        for i, layer in enumerate(layers):
            if layer in e["per_layer"]:
                f.write(f'<data key="e{i + 3}">{float(e["per_layer"][layer] or 0)!r}</data>')
        f.write("</edge>\n")
    f.write("  </graph>\n</graphml>\n")
