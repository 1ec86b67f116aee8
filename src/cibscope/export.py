"""Shared writers for files people open in spreadsheets and graph tools.

Why a shared helper: every CSV cibscope writes (accounts, groups, audit verdicts) holds text
that came from the data under investigation -- screen names, descriptions, tweet text. An
information operation controls that text. A cell such as ``=HYPERLINK("http://x", "click")``
or ``@SUM(A1)`` is run as a formula when an analyst opens the CSV in Excel or LibreOffice
(CSV/formula injection, OWASP). :func:`write_csv` neutralises such cells by prefixing a single
quote, the mitigation OWASP recommends, so the file stays readable and the value visible.
"""

from __future__ import annotations

import csv
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["FORMULA_PREFIXES", "neutralise_cell", "write_csv", "write_arrow_csv", "write_gexf", "xml_text"]

# OWASP's list: cells starting with these are interpreted as formulas by spreadsheet apps.
# Tab and carriage return are included because some apps strip them and then see the '='.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def neutralise_cell(value: Any) -> str:
    """Render one value as CSV text, defusing spreadsheet formulas.

    Numbers are written as numbers (a negative score is data, not a formula, and spreadsheets
    read ``-0.5`` as a number). Any *text* starting with one of :data:`FORMULA_PREFIXES` gets a
    leading apostrophe. ``None`` and NaN become the empty cell; booleans become ``true``/``false``.

    >>> neutralise_cell("=1+1"), neutralise_cell("-x"), neutralise_cell(-0.5), neutralise_cell(True)
    ("'=1+1", "'-x", '-0.5', 'true')
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if _is_number(value):
        if isinstance(value, float) and math.isnan(value):
            return ""
        return repr(value) if isinstance(value, float) else str(value)
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def write_csv(
    path: str | os.PathLike[str],
    rows: Iterable[Mapping[str, Any] | Sequence[Any]],
    columns: Sequence[str],
) -> Path:
    """Write ``rows`` (mappings keyed by column, or sequences in column order) as UTF-8 CSV.

    Every cell goes through :func:`neutralise_cell`. Returns the path written.
    """
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    with open(p, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow([neutralise_cell(c) for c in columns])
        for row in rows:
            if isinstance(row, Mapping):
                w.writerow([neutralise_cell(row.get(c)) for c in columns])
            else:
                w.writerow([neutralise_cell(v) for v in row])
    return p


def write_arrow_csv(table: Any, path: str | os.PathLike[str], *, order: Sequence[str] = ()) -> Path:
    """Write an Arrow table as UTF-8 CSV with DuckDB, cells defused as :func:`neutralise_cell`
    does (text starting with a formula prefix gets an apostrophe; numbers stay numbers).

    For tables of many rows (evidence, counts), where the per-cell Python of
    :func:`write_csv` would dominate. Rows keep the table's order, or are sorted by ``order``.
    """
    import duckdb
    import pyarrow as pa

    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    prefixes = ", ".join("'" + c.replace("'", "''") + "'" for c in FORMULA_PREFIXES)

    def ident(name: str) -> str:
        return '"' + name.replace('"', '""') + '"'

    cols = []
    for f in table.schema:
        q = ident(f.name)
        t = f.type
        if pa.types.is_floating(t):
            cols.append(f"CASE WHEN isnan({q}) THEN NULL ELSE {q} END AS {q}")  # NaN: the empty cell
        elif pa.types.is_integer(t) or pa.types.is_boolean(t) or pa.types.is_decimal(t):
            cols.append(q)
        else:  # text of any encoding (plain, large, view, dictionary), times, lists: defused as text
            v = f"CAST({q} AS VARCHAR)"
            cols.append(f"CASE WHEN left({v}, 1) IN ({prefixes}) THEN chr(39) || {v} ELSE {v} END AS {q}")
    con = duckdb.connect()
    try:
        con.execute("SET threads = 1")  # rows in the table's order
        con.register("_cib_out", table)
        target = str(p).replace("'", "''")
        by = f" ORDER BY {', '.join(map(ident, order))}" if order else ""
        con.execute(f"COPY (SELECT {', '.join(cols) or '*'} FROM _cib_out{by}) TO '{target}' (FORMAT csv, HEADER)")
    finally:
        con.close()
    return p


# ---- GEXF (Gephi) ------------------------------------------------------------------------

_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value: Any) -> str:
    """A value as text XML 1.0 can carry: ElementTree escapes ``<&"``, but C0 controls (other
    than tab, LF, CR), lone surrogates and U+FFFE/U+FFFF are not allowed at all and would make
    Gephi refuse the file, so they are dropped."""
    return _XML_BAD.sub("", "" if value is None else str(value))


def _gexf_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "long"
    if isinstance(value, float):
        return "double"
    return "string"


def _gexf_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else "0.0"
    return xml_text(value)


def write_gexf(
    path: str | os.PathLike[str],
    nodes: Sequence[Mapping[str, Any]],
    edges: Sequence[Mapping[str, Any]],
    *,
    node_attrs: Sequence[str],
    edge_attrs: Sequence[str],
    description: str = "",
) -> Path:
    """Write an undirected GEXF 1.3 graph that Gephi opens.

    ``nodes``: mappings with ``id``, ``label`` and the ``node_attrs``. ``edges``: mappings with
    ``source``, ``target``, ``weight``, optional ``kind`` (GEXF 1.3 parallel edges: one per
    layer between the same pair) and the ``edge_attrs``. Attribute types are taken from the
    first non-null value (boolean, long, double, string). Every string is escaped by
    ElementTree and stripped of characters XML 1.0 forbids.
    """
    import xml.etree.ElementTree as ET
    from datetime import date

    ns = "http://gexf.net/1.3"
    root = ET.Element(
        "gexf",
        {
            "xmlns": ns,
            "xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance",
            "xsi:schemaLocation": "http://gexf.net/1.3 http://gexf.net/1.3/gexf.xsd",
            "version": "1.3",
        },
    )
    meta = ET.SubElement(root, "meta", {"lastmodifieddate": date.today().isoformat()})
    ET.SubElement(meta, "creator").text = "cibscope"
    ET.SubElement(meta, "description").text = xml_text(description)
    graph = ET.SubElement(root, "graph", {"defaultedgetype": "undirected", "mode": "static"})

    def declare(cls: str, names: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> None:
        el = ET.SubElement(graph, "attributes", {"class": cls})
        for i, name in enumerate(names):
            sample = next((r.get(name) for r in rows if r.get(name) is not None), "")
            ET.SubElement(el, "attribute", {"id": str(i), "title": xml_text(name), "type": _gexf_type(sample)})

    def attvalues(parent: ET.Element, names: Sequence[str], row: Mapping[str, Any]) -> None:
        vals = [(i, row.get(n)) for i, n in enumerate(names) if row.get(n) is not None]
        if vals:
            av = ET.SubElement(parent, "attvalues")
            for i, v in vals:
                ET.SubElement(av, "attvalue", {"for": str(i), "value": _gexf_value(v)})

    declare("node", node_attrs, nodes)
    declare("edge", edge_attrs, edges)
    nodes_el = ET.SubElement(graph, "nodes")
    for n in nodes:
        el = ET.SubElement(nodes_el, "node", {"id": xml_text(n["id"]), "label": xml_text(n.get("label") or n["id"])})
        attvalues(el, node_attrs, n)
    edges_el = ET.SubElement(graph, "edges")
    for i, e in enumerate(edges):
        attrs = {"id": str(i), "source": xml_text(e["source"]), "target": xml_text(e["target"]), "weight": _gexf_value(float(e.get("weight", 1.0)))}
        if e.get("kind") is not None:
            attrs["kind"] = xml_text(e["kind"])
            attrs["label"] = xml_text(e["kind"])
        el = ET.SubElement(edges_el, "edge", attrs)
        attvalues(el, edge_attrs, e)
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(p, encoding="utf-8", xml_declaration=True)
    return p
