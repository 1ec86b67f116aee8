"""Normalisation of URLs, hashtags, mentions and post text, as DuckDB SQL macros.

Every reader stages raw values; :mod:`.finalize` normalises them with the macros below, so
the same rules hold for every input format and the work stays inside DuckDB (vectorised,
parallel, streaming) instead of a Python loop over rows. :func:`install_macros` creates them
once per connection (they are ``TEMP`` macros: nothing is stored in the case file).

Why these rules (they decide what later stages count as "the same" link, hashtag or text):

URLs (``cib_url``)
    ``trim``; a scheme-less ``www.host/...`` or ``host.tld/...`` gets ``http://``; the scheme and
    host are lower-cased, a trailing dot of the host and the default port (``:80`` for http,
    ``:443`` for https) are dropped, an empty path becomes ``/``; the fragment is dropped; query
    parameters whose name (case-insensitive) is a tracking parameter (:data:`TRACKING_PARAMS`:
    ``utm_*`` and the click ids of the big platforms) are dropped, the others are kept in their
    order, empty ones (``&&``) too are dropped. Userinfo and the path keep their case (paths are
    case-sensitive: ``t.co/AbC`` != ``t.co/abc``). A value without a recognisable scheme or
    host is kept trimmed as it is and has no domain.
    ``domain`` is the host without a leading ``www.``; ``is_shortener`` is true when the domain
    is one of :data:`SHORTENERS` (kept, never expanded: there is no network at run time).
Hashtags (``cib_hashtag``)
    a leading ``#`` (or fullwidth ``＃``) stripped, NFKC, then lower-cased with Unicode simple
    case mapping (DuckDB ``lower``), plus ``ß`` -> ``ss`` (as ``str.casefold``). Scripts without
    case (Chinese, Japanese, Arabic, ...) are unchanged by lower-casing. Turkish ``İ`` becomes
    ``i`` (simple mapping), so ``#İstanbul`` and ``#istanbul`` are the same hashtag.
Mentions (``cib_mention``)
    trimmed; an ``@handle`` loses the ``@`` and is lower-cased (handles are case-insensitive);
    anything else (a numeric or hashed user id) is kept exactly, because hashed ids are
    case-sensitive base64.
Text (``cib_text_norm``), for near-duplicate detection
    1. NFKC (fullwidth letters and punctuation, mathematical bold/italic letters, ... become
       their plain forms); 2. lower-case (as hashtags, with ``ß`` -> ``ss``); 3. one leading
       retweet marker chain ``rt @user:`` (repeated, with or without the colon) removed;
    4. URLs (``http://...``, ``https://...``, ``www....`` up to the next whitespace) removed;
    5. ``@mentions`` removed; 6. runs of whitespace (including newlines) collapsed to one space;
    7. trimmed. Hashtags, punctuation and emoji are kept. NULL text gives NULL.

NFKC: DuckDB has no NFKC function (only ``nfc_normalize``), so ``cib_nfkc`` calls a vectorised
Arrow UDF, ``pyarrow.compute.utf8_normalize`` (utf8proc, C++) on whole vectors, and only for
strings that contain a code point NFKC can change (``nfkc_class.txt``, a precomputed regular
expression class); pure ASCII and most other text skip it. A Python UDF holds the GIL, so this
is the one step of ingest that runs on a single thread.

Composite macros (``cib_url``, ``cib_hashtag``, ``cib_text_norm``) are for ad-hoc use and
tests; :mod:`.finalize` calls their steps in nested subqueries so each runs once per row.
"""

from __future__ import annotations

import sys
import unicodedata
from pathlib import Path

import pyarrow as pa

from ..case import Case, engine_or_connection
from ..engine.duckdb import DuckDBEngine, create_function

# Query parameters that only track the click; dropped from canonical URLs (compared lower-case).
TRACKING_PARAMS: tuple[str, ...] = (
    "utm_*",  # Google Analytics campaign parameters: utm_source, utm_medium, utm_campaign, ...
    "fbclid",  # Facebook click id
    "gclid",  # Google Ads click id
    "gclsrc",
    "dclid",  # DoubleClick
    "gbraid",
    "wbraid",
    "msclkid",  # Microsoft Ads
    "yclid",  # Yandex
    "twclid",  # Twitter/X Ads
    "igshid",  # Instagram share id
    "igsh",
    "mc_cid",  # Mailchimp
    "mc_eid",
    "ref_src",  # Twitter share widgets
    "ref_url",
    "_ga",  # Google Analytics linker
    "_gl",
    "_hsenc",  # HubSpot
    "_hsmi",
    "mkt_tok",  # Marketo
    "vero_id",
    "oly_enc_id",
    "oly_anon_id",
    "rb_clickid",
    "s_cid",
    "wt_mc",  # Webtrends
    "spm",  # Alibaba/Taobao tracking
)

# Link shorteners and redirectors: kept as they are (no network), flagged with is_shortener.
# youtu.be is *not* here: it names the video itself (a stable alias of youtube.com/watch?v=),
# it does not hide the destination.
SHORTENERS: tuple[str, ...] = (
    "t.co", "bit.ly", "bitly.com", "bitly.is", "j.mp", "goo.gl", "ow.ly", "ht.ly", "tinyurl.com",
    "buff.ly", "dlvr.it", "ift.tt", "fb.me", "is.gd", "v.gd", "tiny.cc", "lnkd.in", "trib.al",
    "wp.me", "amzn.to", "amzn.eu", "bit.do", "cutt.ly", "rebrand.ly", "shorturl.at", "t.ly",
    "s.id", "rb.gy", "su.pr", "po.st", "ln.is", "dld.bz", "tr.im", "qr.ae", "x.co", "mcaf.ee",
    "snip.ly", "soo.gd", "tiny.one", "shorte.st", "adf.ly", "bl.ink", "cli.gs", "budurl.com",
    "sh.st", "tinyurl.hu", "url.cn", "t.cn", "dwz.cn", "suo.im", "0rz.tw",
    "flip.it", "smarturl.it", "apple.co", "spoti.fi", "nyti.ms", "wapo.st", "reut.rs",
    "bbc.in", "cnn.it", "on.ft.com", "econ.st", "hill.cm", "politi.co",
)

_TRACKING_RE = "^(" + "|".join(p.replace("*", "[^=]*").replace(".", "\\.") for p in TRACKING_PARAMS) + ")$"
_SHORTENER_SQL = "[" + ", ".join(f"'{d}'" for d in sorted(set(SHORTENERS))) + "]"

# scheme://authority path ?query #fragment  (RFC 3986 appendix B, scheme required)
_URL_RE = r"^([A-Za-z][A-Za-z0-9+.\-]*)://([^/?#]*)([^?#]*)(\?[^#]*)?(#.*)?$"
# scheme-less values that still look like a link: www.x..., or host.tld followed by / ? # : or end
_BARE_HOST_RE = r"^(?:[wW][wW][wW]\.|[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}(?:[/?#:]|$))"



def _nfkc_sensitive_class() -> str:
    """A regular-expression class of every code point that can make NFKC change a string.

    That is: code points with a compatibility or canonical decomposition (NFKC(c) != c),
    combining marks (canonical reordering, composition with the previous character), code
    points that can be the second half of a canonical composition (NFC_QC=Maybe, e.g. Hangul
    vowel jamo). A string with none of them is its own NFKC, so the UDF is skipped for it.
    """
    cps: set[int] = set()
    for cp in range(0x80, sys.maxunicode + 1):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        c = chr(cp)
        if unicodedata.combining(c) or unicodedata.normalize("NFKC", c) != c:
            cps.add(cp)
        d = unicodedata.decomposition(c)
        if d and not d.startswith("<"):
            parts = d.split()
            if len(parts) == 2:
                cps.add(int(parts[1], 16))
    cps.update(range(0x1161, 0x1176))  # Hangul vowel jamo (compose with a leading consonant)
    cps.update(range(0x11A8, 0x11C3))  # Hangul trailing consonants
    ranges: list[tuple[int, int]] = []
    for cp in sorted(cps):
        if ranges and cp == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], cp)
        else:
            ranges.append((cp, cp))
    return "[" + "".join(f"\\x{{{a:X}}}" if a == b else f"\\x{{{a:X}}}-\\x{{{b:X}}}" for a, b in ranges) + "]"


# Computing the class walks all 1.1M code points (~2 s), so it is shipped precomputed;
# tests/test_normalize.py checks the file against _nfkc_sensitive_class().
_NFKC_CLASS_FILE = Path(__file__).with_name("nfkc_class.txt")
_NFKC_CLASS = _NFKC_CLASS_FILE.read_text(encoding="ascii").strip()

_MACROS: tuple[str, ...] = (
    # -- NFKC and case ----------------------------------------------------------------------
    # Macros are expanded textually: a macro that uses its argument n times evaluates (and
    # plans) the argument's expression n times. Composite macros therefore bind intermediate
    # values once with list_transform([v], lambda n: ...)[1]; finalize goes further and computes
    # each step in its own subquery.
    # A string without any of the code points of _NFKC_CLASS is already NFKC (pure ASCII is
    # checked first, cheaper: strlen counts bytes, length code points).
    f"cib_nfkc(s) AS CASE WHEN strlen(s) = length(s) OR NOT regexp_matches(s, '{_NFKC_CLASS}') THEN s ELSE cib_nfkc_udf(s) END",
    "cib_fold(s) AS replace(lower(s), 'ß', 'ss')",
    # -- hashtags and mentions ----------------------------------------------------------------
    "cib_hashtag_strip(h) AS nullif(regexp_replace(trim(h), '^[#＃]+', ''), '')",
    "cib_hashtag(h) AS list_transform([cib_hashtag_strip(h)], lambda cib_h: nullif(cib_fold(cib_nfkc(cib_h)), ''))[1]",
    "cib_mention(m) AS nullif(CASE WHEN starts_with(trim(m), '@') THEN lower(ltrim(trim(m), '@')) ELSE trim(m) END, '')",
    # -- URLs ------------------------------------------------------------------------------------
    # cib_url_parts: raw -> (scheme, authority, path, query, fragment) by one regular expression;
    # cib_url_split: -> (scheme lower, userinfo, host lower without trailing dot, port, path, query);
    # cib_url_build / cib_url_domain_of: the canonical URL and the domain from that split.
    f"cib_url_prep(u) AS CASE WHEN NOT contains(trim(u), '://') AND regexp_matches(trim(u), '{_BARE_HOST_RE}') "
    "THEN 'http://' || trim(u) ELSE trim(u) END",
    f"cib_url_parts(u) AS regexp_extract(cib_url_prep(u), '{_URL_RE}', "
    "['scheme', 'authority', 'path', 'query', 'fragment'])",
    "cib_url_hostport(authority) AS CASE WHEN contains(authority, '@') THEN regexp_replace(authority, '^.*@', '') ELSE authority END",
    "cib_url_split(p) AS list_transform([cib_url_hostport(p.authority)], lambda cib_hp: struct_pack("
    "scheme := lower(p.scheme), "
    "userinfo := CASE WHEN contains(p.authority, '@') THEN regexp_extract(p.authority, '^(.*@)', 1) ELSE '' END, "
    "host := rtrim(lower(CASE WHEN contains(cib_hp, ':') THEN regexp_replace(cib_hp, ':[0-9]*$', '') ELSE cib_hp END), '.'), "
    "port := CASE WHEN contains(cib_hp, ':') THEN regexp_extract(cib_hp, ':([0-9]*)$', 1) ELSE '' END, "
    "path := p.path, query := p.query))[1]",
    f"cib_url_query(q) AS CASE WHEN q = '' OR q = '?' THEN '' ELSE array_to_string(list_filter(string_split(substr(q, 2), '&'), "
    f"lambda p: p <> '' AND NOT regexp_matches(lower(split_part(p, '=', 1)), '{_TRACKING_RE}')), '&') END",
    # canonical URL (the trimmed input when it is not a URL)
    "cib_url_build(x, raw) AS CASE WHEN x.scheme = '' OR x.host = '' THEN nullif(trim(raw), '') ELSE "
    "x.scheme || '://' || x.userinfo || x.host || "
    "CASE WHEN x.port = '' OR (x.scheme = 'http' AND x.port = '80') OR (x.scheme = 'https' AND x.port = '443') "
    "THEN '' ELSE ':' || x.port END || "
    "CASE WHEN x.path = '' THEN '/' ELSE x.path END || "
    "coalesce('?' || nullif(cib_url_query(x.query), ''), '') END",
    "cib_url_domain_of(x) AS CASE WHEN x.scheme = '' THEN NULL "
    "ELSE nullif(CASE WHEN starts_with(x.host, 'www.') THEN substr(x.host, 5) ELSE x.host END, '') END",
    f"cib_is_shortener(domain) AS coalesce(list_contains({_SHORTENER_SQL}, domain), false)",
    "cib_url_x(u) AS list_transform([cib_url_parts(u)], lambda cib_p: cib_url_split(cib_p))[1]",
    "cib_url(u) AS list_transform([cib_url_x(u)], lambda cib_x: cib_url_build(cib_x, u))[1]",
    "cib_url_domain(u) AS cib_url_domain_of(cib_url_x(u))",
    # -- text ------------------------------------------------------------------------------------
    # the steps after NFKC + fold, split so that finalize can compute each once per row;
    # the CASEs skip the regular expressions for the (many) texts they cannot change
    "cib_text_strip_rt(s) AS CASE WHEN starts_with(ltrim(s), 'rt') "
    "THEN regexp_replace(s, '^(?:\\s*rt\\s+@\\w+:?)+', ' ') ELSE s END",
    "cib_text_strip_links(s) AS CASE WHEN contains(s, '://') OR contains(s, 'www.') OR contains(s, '@') "
    "THEN regexp_replace(s, '(?:https?://|www\\.)\\S*|@\\w+', ' ', 'g') ELSE s END",
    "cib_text_squash(s) AS trim(CASE WHEN contains(s, '  ') OR contains(s, chr(10)) OR contains(s, chr(9)) "
    "OR contains(s, chr(13)) OR contains(s, chr(11)) OR contains(s, chr(12)) "
    "THEN regexp_replace(s, '\\s\\s+|[\\t\\n\\r\\f\\v]', ' ', 'g') ELSE s END)",
    "cib_text_norm(t) AS list_transform([cib_fold(cib_nfkc(t))], lambda cib_t1: "
    "list_transform([cib_text_strip_rt(cib_t1)], lambda cib_t2: "
    "list_transform([cib_text_strip_links(cib_t2)], lambda cib_t3: cib_text_squash(cib_t3))[1])[1])[1]",
    # -- bracketed lists of the IO archive: [a, b] / ['a', "b"] / '' -> VARCHAR[] -------------
    # quoted items are taken whole (they may contain commas); unquoted ones split on commas.
    "cib_parse_list(s) AS CASE WHEN s IS NULL OR s = '[]' OR trim(s) IN ('', '[]') THEN []::VARCHAR[] "
    "WHEN regexp_matches(s, '^\\s*\\[?\\s*[''\"]') THEN "
    "list_filter(list_transform(regexp_extract_all(s, '''[^'']*''|\"[^\"]*\"'), lambda x: trim(x[2:-2])), lambda x: x <> '') "
    # (one leading '[' and one trailing ']' cut by slicing: the regular expression it replaces,
    # regexp_replace(trim(s), '^\\[|\\]$', '', 'g'), cost most of the time of the whole macro)
    # no space at all (DuckDB's trim removes spaces only): nothing to trim, no lambda
    "WHEN NOT contains(s, ' ') THEN list_filter(string_split(s[CASE WHEN starts_with(s, '[') "
    "THEN 2 ELSE 1 END : CASE WHEN ends_with(s, ']') THEN -2 ELSE -1 END], ','), lambda x: x <> '') "
    "ELSE list_filter(list_transform(string_split(trim(s)[CASE WHEN starts_with(trim(s), '[') THEN 2 ELSE 1 END : "
    "CASE WHEN ends_with(trim(s), ']') THEN -2 ELSE -1 END], ','), lambda x: trim(x)), lambda x: x <> '') END",
)


def _nfkc_arrow(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """NFKC of a whole Arrow vector in C++ (utf8proc); the body of the ``cib_nfkc_udf`` UDF."""
    import pyarrow.compute as pc  # here, not at import: it takes 0.2 s and lean reads never need it

    return pc.utf8_normalize(values, form="NFKC")


def _installed(eng: DuckDBEngine) -> set[str]:
    """Which of our functions exist on the engine's connection.

    Asked every time, not remembered: macros created inside a transaction that is rolled back
    (e.g. by --strict) disappear with it. A failing probe query would abort the caller's
    transaction, so the catalog is listed instead.
    """
    # fetchall, not fetchone: create_function refuses to run while a result is still pending
    rows = eng.execute(
        "SELECT DISTINCT function_name FROM duckdb_functions() WHERE function_name IN ('cib_nfkc_udf', 'cib_parse_list')"
    ).fetchall()
    return {r[0] for r in rows}


def install_macros(engine: DuckDBEngine) -> None:
    """Create the normalisation macros (and the NFKC UDF) on a DuckDB engine (a case's:
    ``case.engine``); cheap to call again.

    Call it outside a transaction that may roll back (ingest does, before each file's): a UDF
    created in a rolled-back transaction leaves the catalog but stays registered with the
    Python connection, which then refuses to create it again."""
    eng = engine_or_connection(engine)
    have = _installed(eng)
    if "cib_nfkc_udf" not in have:
        create_function(eng, "cib_nfkc_udf", _nfkc_arrow, ["VARCHAR"], "VARCHAR", type="arrow", side_effects=False)
    if "cib_parse_list" not in have:
        for body in _MACROS:
            eng.execute(f"CREATE OR REPLACE TEMP MACRO {body}")


def normalize_values(db: Case | DuckDBEngine, macro: str, values: list[str | None]) -> list[object]:
    """Apply one macro to a list of values (for tests and notebooks; ingest works on tables).
    ``db``: a case or a DuckDB engine (e.g. :func:`cibscope.engine.duckdb.scratch`)."""
    eng = engine_or_connection(db)
    install_macros(eng)
    rows = eng.execute(
        f"SELECT {macro}(v) FROM (SELECT unnest(?::VARCHAR[]) AS v, generate_subscripts(?::VARCHAR[], 1) AS i) ORDER BY i",
        [values, values],
    ).fetchall()
    return [r[0] for r in rows]
