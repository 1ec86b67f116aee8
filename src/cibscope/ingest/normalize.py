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

NFKC: DuckDB has no NFKC function (only ``nfc_normalize``), so ``cib_nfkc`` is a vectorised
Arrow UDF calling ``pyarrow.compute.utf8_normalize`` (utf8proc, C++) on whole vectors; pure
ASCII strings are already NFKC and skip it.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

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

_MACROS: tuple[str, ...] = (
    # -- NFKC and case ----------------------------------------------------------------------
    # strlen (bytes) = length (code points) <=> pure ASCII <=> already NFKC.
    "cib_nfkc(s) AS CASE WHEN strlen(s) = length(s) THEN s ELSE cib_nfkc_udf(s) END",
    "cib_fold(s) AS replace(lower(s), 'ß', 'ss')",
    # -- hashtags and mentions ----------------------------------------------------------------
    "cib_hashtag(h) AS nullif(cib_fold(cib_nfkc(regexp_replace(trim(h), '^[#＃]+', ''))), '')",
    "cib_mention(m) AS nullif(CASE WHEN starts_with(trim(m), '@') THEN lower(ltrim(trim(m), '@')) ELSE trim(m) END, '')",
    # -- URLs ------------------------------------------------------------------------------------
    f"cib_url_prep(u) AS CASE WHEN regexp_matches(trim(u), '{_BARE_HOST_RE}') AND NOT contains(trim(u), '://') "
    "THEN 'http://' || trim(u) ELSE trim(u) END",
    f"cib_url_parts(u) AS regexp_extract(cib_url_prep(u), '{_URL_RE}', "
    "['scheme', 'authority', 'path', 'query', 'fragment'])",
    # host of an authority [userinfo@]host[:port], lower-case, without trailing dot
    "cib_url_host(authority) AS rtrim(lower(regexp_replace(regexp_replace(authority, '^.*@', ''), ':[0-9]*$', '')), '.')",
    "cib_url_port(authority) AS regexp_extract(regexp_replace(authority, '^.*@', ''), ':([0-9]*)$', 1)",
    "cib_url_userinfo(authority) AS regexp_extract(authority, '^(.*@)', 1)",
    f"cib_url_query(q) AS array_to_string(list_filter(string_split(substr(q, 2), '&'), lambda p: p <> '' AND NOT regexp_matches(lower(split_part(p, '=', 1)), '{_TRACKING_RE}')), '&')",
    # canonical URL from the parts of cib_url_parts (trimmed input when it is not a URL)
    "cib_url_from_parts(p, raw) AS CASE WHEN p.scheme = '' OR cib_url_host(p.authority) = '' THEN nullif(trim(raw), '') ELSE "
    "lower(p.scheme) || '://' || cib_url_userinfo(p.authority) || cib_url_host(p.authority) || "
    "CASE WHEN cib_url_port(p.authority) = '' OR (lower(p.scheme) = 'http' AND cib_url_port(p.authority) = '80') "
    "OR (lower(p.scheme) = 'https' AND cib_url_port(p.authority) = '443') THEN '' ELSE ':' || cib_url_port(p.authority) END || "
    "CASE WHEN p.path = '' THEN '/' ELSE p.path END || "
    "CASE WHEN cib_url_query(p.query) = '' THEN '' ELSE '?' || cib_url_query(p.query) END END",
    "cib_url_domain_from_parts(p) AS CASE WHEN p.scheme = '' THEN NULL ELSE nullif(regexp_replace(cib_url_host(p.authority), '^www\\.', ''), '') END",
    f"cib_is_shortener(domain) AS coalesce(list_contains({_SHORTENER_SQL}, domain), false)",
    "cib_url(u) AS cib_url_from_parts(cib_url_parts(u), u)",
    "cib_url_domain(u) AS cib_url_domain_from_parts(cib_url_parts(u))",
    # -- text ------------------------------------------------------------------------------------
    "cib_text_norm(t) AS trim(regexp_replace(regexp_replace(regexp_replace("
    "cib_fold(cib_nfkc(t)), "
    "'^(\\s*rt\\s+@\\w+:?)+', ' '), "
    "'(https?://|www\\.)\\S*|@\\w+', ' ', 'g'), "
    "'\\s+', ' ', 'g'))",
    # -- bracketed lists of the IO archive: [a, b] / ['a', "b"] / '' -> VARCHAR[] -------------
    # quoted items are taken whole (they may contain commas); unquoted ones split on commas.
    "cib_parse_list(s) AS CASE WHEN s IS NULL OR trim(s) IN ('', '[]') THEN []::VARCHAR[] "
    "WHEN regexp_matches(s, '^\\s*\\[?\\s*[''\"]') THEN "
    "list_filter(list_transform(regexp_extract_all(s, '''[^'']*''|\"[^\"]*\"'), lambda x: trim(x[2:-2])), lambda x: x <> '') "
    "ELSE list_filter(list_transform(string_split(regexp_replace(trim(s), '^\\[|\\]$', '', 'g'), ','), lambda x: trim(x)), lambda x: x <> '') END",
)


def _nfkc_arrow(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """NFKC of a whole Arrow vector in C++ (utf8proc); the body of the ``cib_nfkc_udf`` UDF."""
    return pc.utf8_normalize(values, form="NFKC")


def _has_function(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    # fetchall, not fetchone: create_function refuses to run while a result is still pending
    rows = con.execute("SELECT count(*) FROM duckdb_functions() WHERE function_name = ?", [name]).fetchall()
    return bool(rows and rows[0][0])


def install_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Create the normalisation macros (and the NFKC UDF) on ``con``; cheap to call again."""
    if not _has_function(con, "cib_nfkc_udf"):
        con.create_function("cib_nfkc_udf", _nfkc_arrow, ["VARCHAR"], "VARCHAR", type="arrow", side_effects=False)
    if _has_function(con, "cib_parse_list"):
        return
    for body in _MACROS:
        con.execute(f"CREATE OR REPLACE TEMP MACRO {body}")


def normalize_values(con: duckdb.DuckDBPyConnection, macro: str, values: list[str | None]) -> list[object]:
    """Apply one macro to a list of values (for tests and notebooks; ingest works on tables)."""
    install_macros(con)
    rows = con.execute(
        f"SELECT {macro}(v) FROM (SELECT unnest(?::VARCHAR[]) AS v, generate_subscripts(?::VARCHAR[], 1) AS i) ORDER BY i",
        [values, values],
    ).fetchall()
    return [r[0] for r in rows]
