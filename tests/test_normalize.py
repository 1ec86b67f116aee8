"""The normalisation macros (cibscope.ingest.normalize) on hand-picked values."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator

import pytest

from cibscope.engine.duckdb import DuckDBEngine, scratch
from cibscope.ingest import normalize
from cibscope.ingest.normalize import normalize_values


@pytest.fixture(scope="module")
def con() -> Iterator[DuckDBEngine]:
    c = scratch()
    normalize.install_macros(c)
    yield c
    c.close()


def one(con: DuckDBEngine, macro: str, value: str | None) -> object:
    return normalize_values(con, macro, [value])[0]


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        # scheme + host lower-cased, default port, fragment and tracking parameters dropped,
        # the other parameters kept in order, the empty one (&&) dropped, path case kept
        ("HTTP://WWW.Example.COM:80/Path/A?b=2&utm_source=tw&&a=1#frag", "http://www.example.com/Path/A?b=2&a=1"),
        ("https://example.com:443", "https://example.com/"),  # default port dropped, empty path -> /
        ("https://example.com:8443/x", "https://example.com:8443/x"),  # other ports kept
        ("https://t.co/AbC", "https://t.co/AbC"),  # shortener path is case-sensitive
        ("https://a.com/?fbclid=XYZ&gclid=1&igshid=2&mc_cid=3&mc_eid=4&ref_src=twsrc", "https://a.com/"),
        ("https://a.com/p?UTM_Medium=x&id=7", "https://a.com/p?id=7"),  # parameter names compared lower-case
        ("https://a.com/p?", "https://a.com/p"),  # empty query dropped
        ("  https://Ex.COM./x  ", "https://ex.com/x"),  # trimmed, trailing dot of host dropped
        ("https://User:Pw@Host.com/", "https://User:Pw@host.com/"),  # userinfo keeps its case
        ("www.Example.com/x?utm_medium=a", "http://www.example.com/x"),  # scheme-less www. -> http://
        ("example.org", "http://example.org/"),  # scheme-less host.tld
        ("not a url", "not a url"),  # kept as is
        ("", None),
        (None, None),
    ],
)
def test_url_canonical(con: DuckDBEngine, raw: str | None, canonical: str | None) -> None:
    assert one(con, "cib_url", raw) == canonical


@pytest.mark.parametrize(
    ("raw", "domain", "shortener"),
    [
        ("https://WWW.Example.com/a", "example.com", False),  # 'www.' stripped
        ("https://www.t.co/Abc", "t.co", True),
        ("http://bit.ly/xyz", "bit.ly", True),
        ("https://youtu.be/abc", "youtu.be", False),  # names the video itself: not a shortener
        ("https://news.example.co.uk:8080/x", "news.example.co.uk", False),  # port not in the domain
        ("not a url", None, False),
    ],
)
def test_url_domain_and_shortener(con: DuckDBEngine, raw: str, domain: str | None, shortener: bool) -> None:
    assert one(con, "cib_url_domain", raw) == domain
    got = con.execute("SELECT cib_is_shortener(cib_url_domain(?))", [raw]).fetchall()[0][0]
    assert got is shortener


@pytest.mark.parametrize(
    ("raw", "tag"),
    [
        ("#MAGA", "maga"),
        ("香港", "香港"),  # CJK kept as is
        ("#香港加油", "香港加油"),
        ("ＨＫ", "hk"),  # fullwidth -> ASCII by NFKC, then lower-cased
        ("＃ＢＬＭ", "blm"),  # fullwidth '#' stripped too
        ("İstanbul", "istanbul"),  # Turkish dotted capital I: simple lower-case mapping -> 'i'
        ("ıstanbul", "ıstanbul"),  # dotless i is a different letter and stays
        ("Straße", "strasse"),  # ß -> ss as str.casefold
        ("𝐁𝐨𝐥𝐝", "bold"),  # mathematical bold letters -> plain by NFKC
        ("ΣΑΣ", "σασ"),
        ("Café", "café"),
        ("  ", None),
        ("#", None),
    ],
)
def test_hashtag(con: DuckDBEngine, raw: str, tag: str | None) -> None:
    assert one(con, "cib_hashtag", raw) == tag


@pytest.mark.parametrize(
    ("raw", "mentioned"),
    [
        ("@RealDonaldTrump", "realdonaldtrump"),  # a handle: '@' dropped, lower-cased
        ("vMm2zemFOF7kmXoDyX24Bo+Tor=", "vMm2zemFOF7kmXoDyX24Bo+Tor="),  # hashed id: case kept
        (" 2876420003 ", "2876420003"),
        ("", None),
    ],
)
def test_mention(con: DuckDBEngine, raw: str, mentioned: str | None) -> None:
    assert one(con, "cib_mention", raw) == mentioned


@pytest.mark.parametrize(
    ("raw", "norm"),
    [
        # leading RT chain, URL, mention removed; whitespace (newline too) collapsed; hashtag kept
        ("RT @abc: RT @d_e: Hello   World\nhttps://t.co/x @foo #Tag", "hello world #tag"),
        # NFKC: fullwidth punctuation and letters; www. link removed
        ("转发：你好，世界！ＡＢＣ www.x.com/p", "转发:你好,世界!abc"),
        ("Straße 𝐁𝐨𝐥𝐝 😀", "strasse bold 😀"),  # emoji kept
        ("rtl is fine", "rtl is fine"),  # 'rt' only as a retweet marker
        (" \t x\u3000 y ", "x y"),  # ideographic space -> space (NFKC), tabs collapsed
        ("cafe\u0301", "café"),  # combining accent composed (NFKC includes composition)
        ("İSTANBUL", "istanbul"),
        (None, None),
    ],
)
def test_text_norm(con: DuckDBEngine, raw: str | None, norm: str | None) -> None:
    assert one(con, "cib_text_norm", raw) == norm


@pytest.mark.parametrize(
    ("raw", "items"),
    [
        ("['SyrianArmy', 'Hama', 'InsideSyriaMC']", ["SyrianArmy", "Hama", "InsideSyriaMC"]),
        ("[2876420003, 12]", ["2876420003", "12"]),
        ("[2876420003,12,]", ["2876420003", "12"]),  # no space: split without trimming, empty items dropped
        ("[\t#a,b]", ["\t#a", "b"]),  # only spaces are trimmed (as before)
        ("[http://goo.gl/32K38q]", ["http://goo.gl/32K38q"]),
        ("[\"it's\", 'c,d']", ["it's", "c,d"]),  # quoted items may hold commas and the other quote
        ("[香港, ＨＫ]", ["香港", "ＨＫ"]),
        ("[]", []),
        ("", []),
        (None, []),
    ],
)
def test_parse_list(con: DuckDBEngine, raw: str | None, items: list[str]) -> None:
    assert one(con, "cib_parse_list", raw) == items


def test_nfkc_macro_equals_python_nfkc(con: DuckDBEngine) -> None:
    # the prefilter must never skip a string NFKC would change
    samples = [
        "plain ascii",
        "Ｆｕｌｌｗｉｄｔｈ，！",
        "ﬁne ligature",  # multi-character decomposition
        "㍿ ㈱",
        "①②",
        "ｶﾀｶﾅ",  # halfwidth katakana (composition of voiced marks)
        "\u1100\u1161\u11a8",  # Hangul jamo compose to one syllable
        "e\u0301\u0327",  # combining marks reordered and composed
        "Кириллица",
        "عربى ﻻ",
        "😀👍🏽",
        "x²",
    ]
    got = normalize_values(con, "cib_nfkc", samples)
    assert got == [unicodedata.normalize("NFKC", s) for s in samples]


@pytest.mark.slow
def test_nfkc_class_file_is_current() -> None:
    # nfkc_class.txt is precomputed for import speed; it must match this Python's Unicode tables
    assert normalize._NFKC_CLASS == normalize._nfkc_sensitive_class()
