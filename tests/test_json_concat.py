"""Twitter API JSON files that hold several documents, and links between posts that name nothing.

A JSON file is a sequence of values: JSON lines, arrays and pretty-printed objects one after
another in any mix (``cat a.json b.json``, ``jq . tweets.jsonl``, an array followed by JSON
lines). Every record of every document is read; what is not JSON is quarantined with its line;
rows read = kept + quarantined. Each test writes a small file to tmp_path and stages it as the
orchestrator does (staging tables created empty, then reader.read).
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from cibscope.case import Case, open_case
from cibscope.errors import InputError
from cibscope.ingest import _create_staging, sniff
from cibscope.ingest import twitter_json
from cibscope.ingest.base import ReadContext, Source


def stage(tmp_path: Path, path: Path, fmt: str | None = None) -> tuple[Case, str, int]:
    """Sniff (or force) the reader for ``path`` and stage the file; return (case, format, rows_read)."""
    case = open_case(tmp_path / f"{path.name}.{len(list(tmp_path.glob('*.duckdb')))}.duckdb")
    _create_staging(case)
    src = Source(path, str(path), "gzip" if path.name.endswith(".gz") else None)
    reader = sniff(src, fmt)
    n = reader.read(ReadContext(case.engine, src))
    return case, reader.name, n


def rows(case: Case, sql: str) -> list[tuple[Any, ...]]:
    return case.con.execute(sql).fetchall()


def posts(case: Case) -> list[tuple[str, int]]:
    """(post_id, source_line) of every staged post, by id."""
    return rows(case, "SELECT post_id, source_line FROM stage_posts ORDER BY post_id")


def quarantine(case: Case) -> list[tuple[int, str, str]]:
    """(source_line, reason, raw) of every quarantined row, by line."""
    return rows(case, "SELECT source_line, reason, raw FROM stage_quarantine ORDER BY source_line, reason")


def accounting(case: Case) -> tuple[int, int]:
    return rows(case, "SELECT count(*) FROM stage_posts")[0][0], rows(case, "SELECT count(*) FROM stage_quarantine")[0][0]


def v1(i: int, **extra: Any) -> dict[str, Any]:
    """A v1.1 status with id 1050118621198921700 + i."""
    return {
        "created_at": "Wed Oct 10 20:19:24 +0000 2018",
        "id_str": str(1050118621198921700 + i),
        "text": f"status {i} #tag{i}",
        "user": {"id_str": "200", "screen_name": "u200", "followers_count": 5},
        "entities": {"hashtags": [{"text": f"tag{i}"}], "urls": [], "user_mentions": []},
        **extra,
    }


def pid(i: int) -> str:
    return str(1050118621198921700 + i)


def line(obj: Any) -> str:
    return json.dumps(obj)


def array(objs: list[Any]) -> str:
    """An array with one element a line, the first on the line of its '[' (as one writes it by hand)."""
    return "[" + ",\n".join(json.dumps(o) for o in objs) + "]"


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    if name.endswith(".gz"):
        p.write_bytes(gzip.compress(text.encode()))
    else:
        p.write_text(text, encoding="utf-8")
    return p


# ---- several documents in one file -------------------------------------------------------------


def test_two_arrays_one_after_the_other(tmp_path: Path) -> None:
    # lines 1-3: the first array (3 statuses), lines 4-5: the second (2 statuses)
    p = write(tmp_path, "two_arrays.json", array([v1(1), v1(2), v1(3)]) + "\n" + array([v1(4), v1(5)]) + "\n")
    case, fmt, n = stage(tmp_path, p)
    assert (fmt, n) == ("twitter-v1", 5)
    assert posts(case) == [(pid(1), 1), (pid(2), 2), (pid(3), 3), (pid(4), 4), (pid(5), 5)]
    assert quarantine(case) == []


def test_two_arrays_on_one_line_each_and_gzipped(tmp_path: Path) -> None:
    # each array on one line (longer than the 4 KB the reader looks at first), in a gzip file
    first = [v1(i, text="x" * 300) for i in range(1, 16)]
    p = write(tmp_path, "arrays.json.gz", json.dumps(first) + "\n" + json.dumps([v1(20), v1(21)]) + "\n")
    case, fmt, n = stage(tmp_path, p)
    assert (fmt, n) == ("twitter-v1", 17)
    assert posts(case) == sorted([(pid(i), 1) for i in range(1, 16)] + [(pid(20), 2), (pid(21), 2)])


def test_an_array_then_json_lines(tmp_path: Path) -> None:
    # lines 1-2 the array, 3-4 JSON lines, 5 blank, 6 a JSON line
    text = array([v1(1), v1(2)]) + "\n" + line(v1(3)) + "\n" + line(v1(4)) + "\n\n" + line(v1(5)) + "\n"
    case, fmt, n = stage(tmp_path, write(tmp_path, "array_jsonl.json", text))
    assert (fmt, n) == ("twitter-v1", 5)
    assert posts(case) == [(pid(1), 1), (pid(2), 2), (pid(3), 3), (pid(4), 4), (pid(5), 6)]


def test_pretty_printed_objects_one_after_the_other(tmp_path: Path) -> None:
    # `jq . statuses.jsonl` output: each object over several lines, each starting at column 0
    docs = [json.dumps(v1(i), indent=2) for i in (1, 2, 3)]
    starts = [1, 1 + docs[0].count("\n") + 1, 1 + docs[0].count("\n") + 1 + docs[1].count("\n") + 1]
    case, fmt, n = stage(tmp_path, write(tmp_path, "pretty.json", "\n".join(docs) + "\n"))
    assert (fmt, n) == ("twitter-v1", 3)  # sniffed, not only when forced
    assert posts(case) == [(pid(1), starts[0]), (pid(2), starts[1]), (pid(3), starts[2])]


def test_what_follows_an_array_and_is_no_tweet_is_quarantined(tmp_path: Path) -> None:
    # lines 1-2 the array; 3 an object that is no tweet; 4 text that is not JSON; 5 a status
    text = array([v1(1), v1(2)]) + '\n{"x": 1}\nnot json at all\n' + line(v1(3)) + "\n"
    case, _, n = stage(tmp_path, write(tmp_path, "array_junk.json", text))
    assert n == 5 and accounting(case) == (3, 2)
    q = quarantine(case)
    assert [(ln, reason.split(" (")[0]) for ln, reason, _ in q] == [(3, "not a tweet"), (4, "invalid JSON")]
    assert q[0][2] == '{"x": 1}' and q[1][2] == "not json at all"
    assert q[1][1] == "invalid JSON (invalid literal, expected 'null'; column 1)"  # as on a line of JSON lines
    assert [p for p, _ in posts(case)] == [pid(1), pid(2), pid(3)]


def test_json_lines_then_documents(tmp_path: Path) -> None:
    # line 1 a JSON line; 2-n a pretty-printed object; then a JSON line; then an array over 2 lines; a JSON line
    pretty = json.dumps(v1(2), indent=2)
    after = 2 + pretty.count("\n") + 1
    text = line(v1(1)) + "\n" + pretty + "\n" + line(v1(3)) + "\n" + array([v1(4), v1(5)]) + "\n" + line(v1(6)) + "\n"
    case, fmt, n = stage(tmp_path, write(tmp_path, "mixed.jsonl", text))
    assert (fmt, n) == ("twitter-v1", 6)
    assert posts(case) == [(pid(1), 1), (pid(2), 2), (pid(3), after), (pid(4), after + 1), (pid(5), after + 2), (pid(6), after + 3)]
    assert quarantine(case) == []


def test_json_lines_then_documents_in_gzip_v2(tmp_path: Path) -> None:
    # twarc2 pages as JSON lines, then one page pretty-printed, in a gzip file
    def page(i: int) -> dict[str, Any]:
        t = {"id": str(1500 + i), "text": f"tweet {i}", "author_id": "7", "created_at": "2021-09-22T16:37:20.000Z"}
        return {"data": [t], "includes": {"users": [{"id": "7", "username": "seven"}]}, "meta": {"result_count": 1}}

    text = line(page(1)) + "\n" + line(page(2)) + "\n" + json.dumps(page(3), indent=2) + "\n" + line(page(4)) + "\n"
    case, fmt, n = stage(tmp_path, write(tmp_path, "pages.jsonl.gz", text))
    assert (fmt, n) == ("twitter-v2", 4)
    last = 3 + json.dumps(page(3), indent=2).count("\n") + 1
    assert posts(case) == [("1501", 1), ("1502", 2), ("1503", 3), ("1504", last)]


def test_a_gzip_stream_cut_inside_a_document_after_json_lines(tmp_path: Path) -> None:
    # lines 1-2 JSON lines, 3-7 an array of 3 statuses (one a line); the gzip stream ends inside
    # the last one: the two before it are read, the rest is one row saying why
    text = line(v1(1)) + "\n" + line(v1(2)) + "\n[\n" + ",\n".join(line(v1(i)) for i in (3, 4, 5)) + "\n]\n"
    cut = text.index(pid(5))
    p = tmp_path / "cut.jsonl.gz"
    p.write_bytes(gzip.compress(text[:cut].encode()))
    p.write_bytes(p.read_bytes()[:-8])  # no trailer: the stream ends without its end marker
    case, _, n = stage(tmp_path, p)
    assert posts(case) == [(pid(1), 1), (pid(2), 2), (pid(3), 4), (pid(4), 5)]
    (ln, reason, raw), = quarantine(case)
    assert n == 5 and ln == 6 and raw.startswith('{"created_at"')
    assert reason.startswith("invalid JSON in array (") and "; truncated or corrupt gzip stream (" in reason


def test_several_values_on_one_line(tmp_path: Path) -> None:
    # line 1 two statuses with nothing between; line 2 a status and trailing text that is not JSON
    text = line(v1(1)) + line(v1(2)) + "\n" + line(v1(3)) + " oops\n" + line(v1(4)) + "\n"
    case, _, n = stage(tmp_path, write(tmp_path, "two_on_a_line.jsonl", text))
    assert n == 5 and accounting(case) == (4, 1)
    assert posts(case) == [(pid(1), 1), (pid(2), 1), (pid(3), 2), (pid(4), 3)]
    assert [(ln, raw) for ln, _, raw in quarantine(case)] == [(2, "oops")]


def test_a_broken_element_takes_the_rest_of_its_array_not_the_next_document(tmp_path: Path) -> None:
    # lines 1-3: an array whose second element is broken (line 2), so the elements after it
    # cannot be located: lines 2-3 are one quarantined row; lines 4-5: a second array, read
    text = array([v1(1)]).rstrip("]") + ',\n{"broken": ]},\n' + line(v1(2)) + "]\n" + array([v1(3), v1(4)]) + "\n"
    case, _, n = stage(tmp_path, write(tmp_path, "broken_then_array.json", text))
    assert n == 4 and accounting(case) == (3, 1)
    assert posts(case) == [(pid(1), 1), (pid(3), 4), (pid(4), 5)]
    (ln, reason, raw), = quarantine(case)
    assert ln == 2 and reason.startswith("invalid JSON in array (Expecting value; line 2 column 12)")
    assert raw.startswith('{"broken": ]},') and pid(2) in raw


def test_a_cut_off_json_line_is_one_line_not_a_document(tmp_path: Path) -> None:
    # line 2 is cut off (an interrupted stream, then resumed): quarantined alone, lines 3-4 read
    text = line(v1(1)) + "\n" + line(v1(2))[:60] + "\n" + line(v1(3)) + "\n" + line(v1(4)) + "\n"
    case, _, n = stage(tmp_path, write(tmp_path, "cut_line.jsonl", text))
    assert n == 4 and accounting(case) == (3, 1)
    assert [(ln, reason) for ln, reason, _ in quarantine(case)] == [(2, "invalid JSON (unexpected control character in string; column 61)")]


@pytest.mark.parametrize("name", ["big_rest.jsonl", "big_rest.jsonl.gz"])
def test_a_document_after_json_lines_too_big_to_hold_is_read_as_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    # the rest of the file from the '[' of line 2 is over the limit: the file is not refused;
    # line 2 is quarantined saying why, and the lines after it are read as JSON lines: the
    # array's elements are kept (line 3's trailing comma is quarantined), its ']' quarantined
    monkeypatch.setattr(twitter_json, "MAX_DOCUMENT_BYTES", 300)
    text = line(v1(1)) + "\n[\n" + line(v1(2)) + ",\n" + line(v1(3)) + "\n]\n" + line(v1(4)) + "\n"
    case, _, n = stage(tmp_path, write(tmp_path, name, text))
    assert posts(case) == [(pid(1), 1), (pid(2), 3), (pid(3), 4), (pid(4), 6)]
    q = quarantine(case)
    assert n == 7 and len(q) == 3
    assert q[0][:2] == (2, "invalid JSON (unexpected end of data; column 1); a JSON document over several lines starts here, "
                        "but the file from this line on is larger than 0 MB and is read as JSON lines (convert it to JSON lines, e.g. with `jq -c`)")
    assert [(ln, raw) for ln, _, raw in q[1:]] == [(3, ","), (5, "]")]


def test_a_document_after_json_lines_that_is_not_utf8_refuses_the_file(tmp_path: Path) -> None:
    p = tmp_path / "latin.jsonl"
    p.write_bytes(line(v1(1)).encode() + b"\n[\n" + json.dumps(v1(2, text="caf\xe9"), ensure_ascii=False).encode("latin-1") + b"\n]\n")
    with pytest.raises(InputError, match=r"not UTF-8 text \(invalid continuation byte on line 3\)"):
        stage(tmp_path, p)


def test_a_byte_order_mark_before_json_lines(tmp_path: Path) -> None:
    p = tmp_path / "bom.jsonl"
    p.write_bytes(b"\xef\xbb\xbf" + (line(v1(1)) + "\n" + line(v1(2)) + "\n").encode())
    case, fmt, n = stage(tmp_path, p)
    assert (fmt, n) == ("twitter-v1", 2) and posts(case) == [(pid(1), 1), (pid(2), 2)]


def test_a_one_line_array_of_v1_statuses_in_json_lines(tmp_path: Path) -> None:
    # short one-line arrays (read as JSON lines): their statuses are records, as in a v2 file
    text = json.dumps([v1(1), v1(2)]) + "\n" + line(v1(3)) + "\n[]\n"
    case, fmt, n = stage(tmp_path, write(tmp_path, "short_arrays.jsonl", text))
    assert (fmt, n) == ("twitter-v1", 4)
    assert posts(case) == [(pid(1), 1), (pid(2), 1), (pid(3), 2)]
    assert [(ln, reason) for ln, reason, _ in quarantine(case)] == [(3, "an empty list, not a tweet")]


def test_the_same_file_gives_the_same_rows(tmp_path: Path) -> None:
    pretty = json.dumps(v1(2), indent=2)
    text = array([v1(1), {"x": 1}]) + "\n" + pretty + "\ngarbage\n" + line(v1(3)) + line(v1(4)) + "\n"
    p = write(tmp_path, "mixed.json", text)
    got = []
    for _ in range(2):
        case, _, n = stage(tmp_path, p)
        got.append((n, rows(case, "SELECT * FROM stage_posts ORDER BY post_id"), quarantine(case)))
    assert got[0] == got[1]
    assert got[0][0] == 6 and len(got[0][1]) == 4 and len(got[0][2]) == 2


# ---- links between posts that name nothing -------------------------------------------------------


def v2_tweet(i: int, refs: Any) -> dict[str, Any]:
    return {"id": str(1600 + i), "text": f"RT @bob: tweet {i}", "author_id": "7", "created_at": "2021-09-22T16:37:20.000Z", "referenced_tweets": refs}


def test_v2_references_without_id_or_type_are_quarantined(tmp_path: Path) -> None:
    # a retweet that does not say of what is no plain post: quarantined with the field named
    refs = [
        [{"type": "retweeted", "id": "900"}],  # 1 kept: a repost of 900
        [{"type": "retweeted"}],  # 2
        [{"type": "retweeted", "id": None}],  # 3
        [{"type": "retweeted", "id": ""}],  # 4
        [{"type": "quoted"}],  # 5
        [{"type": "replied_to", "id": None}],  # 6
        [{"id": "900"}],  # 7 no type
        [{"type": "liked", "id": "900"}],  # 8 a type the API does not have
        [{"type": "retweeted", "id": "abc"}],  # 9 an id refused by the id rule (as before)
    ]
    text = "".join(json.dumps({"data": [v2_tweet(i, r)]}) + "\n" for i, r in enumerate(refs, 1))
    case, fmt, n = stage(tmp_path, write(tmp_path, "refs.jsonl", text))
    assert (fmt, n) == ("twitter-v2", 9) and accounting(case) == (1, 8)
    assert rows(case, "SELECT post_id, kind, repost_of FROM stage_posts") == [("1601", "repost", "900")]
    assert [(ln, reason) for ln, reason, _ in quarantine(case)] == [
        (2, "referenced_tweets item (retweeted) without id"),
        (3, "referenced_tweets item (retweeted) without id"),
        (4, "referenced_tweets item (retweeted) without id"),
        (5, "referenced_tweets item (quoted) without id"),
        (6, "referenced_tweets item (replied_to) without id"),
        (7, "referenced_tweets item type None is none of retweeted, quoted, replied_to"),
        (8, "referenced_tweets item type 'liked' is none of retweeted, quoted, replied_to"),
        (9, "invalid referenced_tweets item.id abc (not an unsigned 64-bit integer)"),
    ]


def test_v1_retweet_or_quote_without_id_is_quarantined(tmp_path: Path) -> None:
    rt_user = {"id_str": "300", "screen_name": "orig"}
    lines = [
        v1(1, retweeted_status={"id_str": "900", "user": rt_user, "text": "t"}),  # 1 kept, repost of 900
        v1(2, retweeted_status={"user": rt_user, "text": "t"}),  # 2 no id
        v1(3, retweeted_status={"id_str": None, "id": None, "user": rt_user}),  # 3 null ids
        v1(4, quoted_status={"user": rt_user, "text": "t"}),  # 4 a quote without id
        v1(5, quoted_status={"user": rt_user, "text": "t"}, quoted_status_id_str="901"),  # 5 kept: the id is beside it
        v1(6, retweeted_status=None, quoted_status=None),  # 6 kept: null is absent
    ]
    case, _, n = stage(tmp_path, write(tmp_path, "v1_refs.jsonl", "".join(line(s) + "\n" for s in lines)))
    assert n == 6 and accounting(case) == (3, 3)
    assert rows(case, "SELECT post_id, kind, repost_of, quote_of FROM stage_posts ORDER BY 1") == [
        (pid(1), "repost", "900", None),
        (pid(5), "quote", None, "901"),
        (pid(6), "post", None, None),
    ]
    assert [(ln, reason) for ln, reason, _ in quarantine(case)] == [
        (2, "retweeted_status without id_str or id"),
        (3, "retweeted_status without id_str or id"),
        (4, "quoted_status without id_str or id"),
    ]


def test_an_empty_array_is_one_row_wherever_it_is(tmp_path: Path) -> None:
    # the same `[]` on a JSON line (line 2) and after a document over lines 3-4 (line 5): one row each
    text = line(v1(1)) + "\n[]\n" + array([v1(2), v1(3)]) + "\n[ ]\n" + line(v1(4)) + "\n"
    case, _, n = stage(tmp_path, write(tmp_path, "empty_arrays.jsonl", text))
    assert n == 6 and posts(case) == [(pid(1), 1), (pid(2), 3), (pid(3), 4), (pid(4), 6)]
    assert [(ln, reason) for ln, reason, _ in quarantine(case)] == [(2, "an empty list, not a tweet"), (5, "an empty list, not a tweet")]
    # and in a file that starts with a document
    case, _, n = stage(tmp_path, write(tmp_path, "empty_first.json", array([v1(2), v1(3)]) + "\n[]\n"))
    assert n == 3 and [(ln, reason) for ln, reason, _ in quarantine(case)] == [(3, "an empty list, not a tweet")]
