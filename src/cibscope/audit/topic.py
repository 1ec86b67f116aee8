"""Offline political-vs-not label for each post, from a small shipped lexicon (English + Chinese).

Why a lexicon and not a model: the audit must run offline, without downloading weights, and
its labels must be explainable ("this post mentions 示威 and 警察"). A lexicon is precise on the
vocabulary of state-backed operations (protests, police, parties, leaders) and weak on subtle
political speech; its measured precision and recall are in docs/audit.md. The repurposing
signature only needs the *share* of political posts before and after a pivot, which tolerates
per-post errors far better than a per-post classifier would need to.

English terms match whole words case-insensitively (a trailing ``*`` matches any word ending);
Chinese terms match as substrings, since Chinese has no spaces. Both compile to one RE2 regular
expression each, so DuckDB labels millions of posts in one pass.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

import pyarrow as pa

LEXICONS = ("political_en.txt", "political_zh.txt")


def load_terms(name: str) -> list[str]:
    """Terms of one shipped lexicon file, comments and blank lines dropped, lower-cased."""
    text = resources.files(__package__).joinpath("lexicon").joinpath(name).read_text(encoding="utf-8")
    out: list[str] = []
    for line in text.splitlines():
        term = line.split("#", 1)[0].strip().lower()
        if term:
            out.append(term)
    return out


def _en_alternative(term: str) -> str:
    prefix = term.endswith("*")
    body = re.escape(term.rstrip("*"))
    body = body.replace(r"\ ", r"\s+").replace(" ", r"\s+")
    return body + (r"\w*" if prefix else "")


@lru_cache(maxsize=1)
def patterns() -> tuple[str, str]:
    """(English regex, Chinese regex), RE2 syntax, for lower-cased text."""
    en = load_terms("political_en.txt")
    zh = load_terms("political_zh.txt")
    # longest first so an alternation prefers the longer phrase (only matters for evidence)
    en_re = r"\b(?:" + "|".join(_en_alternative(t) for t in sorted(set(en), key=len, reverse=True)) + r")\b"
    zh_re = "(?:" + "|".join(re.escape(t) for t in sorted(set(zh), key=len, reverse=True)) + ")"
    return en_re, zh_re


def political_sql(text_expr: str = "text") -> str:
    """A SQL boolean expression: true when ``text_expr`` mentions a political term."""
    en_re, zh_re = patterns()
    en_lit = en_re.replace("'", "''")
    zh_lit = zh_re.replace("'", "''")
    t = f"lower(coalesce({text_expr}, ''))"
    return f"(regexp_matches({t}, '{en_lit}') OR regexp_matches({t}, '{zh_lit}'))"


def is_political(texts: list[str | None]) -> list[bool]:
    """Label a list of texts in Python (same regexes, via DuckDB, so results match the SQL path)."""
    from ..engine.duckdb import scratch

    engine = scratch()
    try:
        engine.register_arrow("t", pa.table({"i": pa.array(range(len(texts)), pa.int32()), "text": pa.array(texts, pa.string())}))
        rows = engine.execute(f"SELECT i, {political_sql('text')} FROM t ORDER BY i").fetchall()
    finally:
        engine.close()
    return [bool(r[1]) for r in rows]


def matched_terms(text: str) -> list[str]:
    """The lexicon terms a text matches (for evidence strings), in Python's re (same syntax here)."""
    en_re, zh_re = patterns()
    low = (text or "").lower()
    found = [m.group(0) for m in re.finditer(en_re, low)]
    found += [m.group(0) for m in re.finditer(zh_re, low)]
    seen: dict[str, None] = {}
    for f in found:
        seen.setdefault(re.sub(r"\s+", " ", f), None)
    return list(seen)
