"""Account files of any platform through the generic TOML mapping (``table = "accounts"``):
row accounting and quarantine as for posts, the hashing mark, presets for known re-publications."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cibscope.case import open_case
from cibscope.errors import InputError
from cibscope.ingest import ingest, sniff
from cibscope.ingest.base import Source
from cibscope.ingest.generic import load_mapping, parse_mapping, presets

ACCOUNTS = {
    "table": "accounts",
    "platform": "forum",
    "columns": {"account_id": "uid"},
    "account": {"screen_name": "handle", "display_name": "name", "follower_count": "fans", "created_at": "joined",
                "account_language": "lang", "hashed": "id_equals_names"},
}


def _write_toml(path: Path, mapping: dict[str, Any]) -> Path:
    lines = [f'table = "{mapping["table"]}"', f'platform = "{mapping["platform"]}"', "[columns]"]
    lines += [f'{k} = "{v}"' for k, v in mapping["columns"].items()]
    lines.append("[account]")
    lines += [f"{k} = {v!r}".replace("'", '"') for k, v in mapping["account"].items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _rows(case_path: Path, sql: str) -> list[tuple[Any, ...]]:
    with open_case(case_path, create=False, read_only=True) as c:
        return c.con.execute(sql).fetchall()


def test_an_accounts_file_is_read_with_the_same_row_accounting_and_quarantine(tmp_path: Path) -> None:
    p = tmp_path / "users.csv"
    p.write_text(
        "uid,handle,name,fans,joined,lang\n"
        "1001,alice,Alice,12,2017-08-30,en\n"  # line 2
        "Zm9vYmFy=,Zm9vYmFy=,Zm9vYmFy=,3,2017-08-30,zh-cn\n"  # line 3: id = handle = name: a hash
        ",nobody,No Id,5,2018-01-01,en\n"  # line 4: no id -> quarantined
        "1.5e+18,floaty,Float,5,2018-01-01,en\n"  # line 5: float notation -> quarantined
        '1002,"bob ""the\nbuilder""",香港人,many,not a date,zh-tw\n'  # lines 6-7: a quoted newline; bad count/date -> empty
        "1001,alice2,Alice again,1,2019-01-01,en\n"  # line 8: repeats 1001 -> quarantined by finalize
        "1003,carol,Carol\n",  # line 9: too few fields -> malformed, quarantined
        encoding="utf-8",
    )
    toml = _write_toml(tmp_path / "users.toml", ACCOUNTS)
    (f,) = ingest(p, tmp_path / "c.duckdb", mapping=toml).files
    assert (f.format, f.rows_read, f.rows_kept, f.rows_quarantined) == ("generic-accounts", 7, 3, 4)
    got = _rows(tmp_path / "c.duckdb", "SELECT account_id, screen_name, display_name, follower_count, created_at, account_language, "
                "is_hashed, source_line FROM accounts ORDER BY source_line")
    assert [(r[0], r[1], r[2], r[3], r[5], r[6], r[7]) for r in got] == [
        ("1001", "alice", "Alice", 12, "en", False, 2),
        ("Zm9vYmFy=", "Zm9vYmFy=", "Zm9vYmFy=", 3, "zh-cn", True, 3),
        ("1002", 'bob "the\nbuilder"', "香港人", None, "zh-tw", False, 6),
    ]
    assert got[0][4].isoformat() == "2017-08-30T00:00:00" and got[2][4] is None
    reasons = dict(_rows(tmp_path / "c.duckdb", "SELECT source_line, reason FROM quarantine ORDER BY 1"))
    assert reasons[4] == "missing account id (column uid is empty)"
    assert reasons[5] == "id in float notation, digits lost (1.5e+18 in column uid)"
    assert reasons[8].startswith("duplicate account_id '1001' (first at line 2)")
    assert reasons[9].startswith("malformed CSV row")
    assert _rows(tmp_path / "c.duckdb", "SELECT format, rows_read, rows_kept, rows_quarantined FROM ingest_log") == [("generic-accounts", 7, 3, 4)]


def test_accounts_from_an_accounts_file_win_over_snapshots_from_posts(tmp_path: Path) -> None:
    # the accounts file is read first (whatever the order given) and its rows are the accounts'
    users = tmp_path / "users.csv"
    users.write_text("uid,handle,name,fans,joined,lang\n7,seven,Seven,70,2015-01-01,en\n", encoding="utf-8")
    posts = tmp_path / "posts.csv"
    posts.write_text("id,who,at,nick\np1,7,2020-01-01T00:00:00Z,old_nick\n", encoding="utf-8")
    post_map = tmp_path / "posts.toml"
    post_map.write_text('platform = "forum"\n[columns]\npost_id = "id"\naccount_id = "who"\n[time]\ncolumn = "at"\n'
                        '[account]\nscreen_name = "nick"\n', encoding="utf-8")
    ingest(users, tmp_path / "c.duckdb", mapping=_write_toml(tmp_path / "users.toml", ACCOUNTS))
    ingest(posts, tmp_path / "c.duckdb", mapping=post_map)
    assert _rows(tmp_path / "c.duckdb", "SELECT account_id, screen_name, follower_count FROM accounts") == [("7", "seven", 70)]
    assert _rows(tmp_path / "c.duckdb", "SELECT count(*) FROM posts") == [(1,)]


def test_parquet_accounts_file(tmp_path: Path) -> None:
    p = tmp_path / "users.parquet"
    pq.write_table(pa.table({"uid": ["a", None, "c"], "handle": ["aa", "bb", "cc"], "name": ["A", "B", "C"],
                             "fans": pa.array([1, 2, None], pa.int64()), "joined": ["2019-05-07", "2019-05-07", "2019-05-08"],
                             "lang": ["en", "en", "ko"]}), p)
    (f,) = ingest(p, tmp_path / "c.duckdb", mapping=_write_toml(tmp_path / "u.toml", ACCOUNTS)).files
    assert (f.rows_read, f.rows_kept, f.rows_quarantined) == (3, 2, 1)
    # Parquet: source_line = row number (0-based) + 1
    assert _rows(tmp_path / "c.duckdb", "SELECT source_line, reason FROM quarantine") == [(2, "missing account id (column uid is empty)")]


def test_accounts_mapping_validation(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"\[time\] is for posts"):
        parse_mapping(ACCOUNTS | {"time": {"column": "t"}})
    with pytest.raises(InputError, match="unknown key.*text"):
        parse_mapping(ACCOUNTS | {"columns": {"account_id": "uid", "text": "bio"}})
    with pytest.raises(InputError, match="table must be"):
        parse_mapping(ACCOUNTS | {"table": "users"})
    with pytest.raises(InputError, match="hashed must be"):
        parse_mapping(ACCOUNTS | {"account": {"hashed": "sometimes"}})
    m = parse_mapping(ACCOUNTS)
    assert m.table == "accounts" and m.source_columns() == ["uid", "handle", "name", "fans", "joined", "lang"]
    # a posts reader refuses an accounts mapping (and says which reader reads it)
    p = tmp_path / "users.csv"
    p.write_text("uid,handle,name,fans,joined,lang\n1,a,A,1,2019-01-01,en\n", encoding="utf-8")
    with pytest.raises(InputError, match="is for accounts files") as e:
        ingest(p, tmp_path / "c.duckdb", mapping=_write_toml(tmp_path / "u.toml", ACCOUNTS), format="generic")
    assert "generic-accounts" in (e.value.hint or "")


def test_account_presets_are_picked_by_their_exact_header(tmp_path: Path) -> None:
    assert {"hongkongio-users", "nbc-russian-troll-users"} <= set(presets())
    m = load_mapping("hongkongio-users")
    assert (m.table, m.hashed, m.header[0]) == ("accounts", "id_equals_names", "user_id")
    p = tmp_path / "hk.csv"
    p.write_text(",".join(m.header) + "\n", encoding="utf-8")
    src = Source(p, str(p), None)
    assert sniff(src).name == "generic-accounts"
    p.write_text(",".join(m.header) + ",extra\n", encoding="utf-8")
    from cibscope.errors import UnknownFormatError

    with pytest.raises(UnknownFormatError):
        sniff(src)


@pytest.mark.real
def test_hongkongio_users_preset_on_the_real_file(real_data: Path, tmp_path: Path) -> None:
    path = real_data / "twitter-io-china-082019-users" / "hkio_users_df.csv"
    (f,) = ingest(path, tmp_path / "c.duckdb").files  # no --mapping: the preset is found by the header
    assert (f.format, f.rows_read, f.rows_kept, f.rows_quarantined) == ("generic-accounts", 940, 940, 0)
    with open(path, encoding="utf-8", newline="") as fh:  # records by their first physical line
        reader = csv.DictReader(fh)
        raw, starts, prev = [], {}, 1
        for r in reader:
            starts[prev + 1] = r
            raw.append(r)
            prev = reader.line_num
    hashed = sum(r["user_id"] == r["screen_name"] == r["name"] for r in raw)
    assert hashed == 303
    assert _rows(tmp_path / "c.duckdb", "SELECT count(*) FILTER (WHERE is_hashed), count(*) FILTER (WHERE follower_count > 10000) FROM accounts") == [
        (hashed, sum(int(r["followers_count"]) > 10000 for r in raw))
    ]
    # each account points at the line of the raw file where its record starts (some span lines)
    assert len(starts) == 940 and max(starts) > 941
    for line, acc in _rows(tmp_path / "c.duckdb", "SELECT source_line, account_id FROM accounts"):
        assert starts[line]["user_id"] == acc


@pytest.mark.real
def test_nbc_users_preset_on_the_real_file(real_data: Path, tmp_path: Path) -> None:
    path = real_data / "nbc-russian-troll-users" / "users.csv"
    (f,) = ingest(path, tmp_path / "c.duckdb").files
    raw = list(csv.DictReader(open(path, encoding="utf-8", newline="")))
    no_id = sum(not r["id"] for r in raw)
    assert (f.format, f.rows_read, f.rows_kept, f.rows_quarantined) == ("generic-accounts", len(raw), len(raw) - no_id, no_id)
    first = next(r for r in raw if r["id"] and r["created_at"])
    got = _rows(tmp_path / "c.duckdb", f"SELECT screen_name, following_count, strftime(created_at, '%Y-%m-%d %H:%M:%S') FROM accounts WHERE account_id = '{first['id']}'")
    assert got == [(first["screen_name"], int(first["friends_count"]), "2009-01-07 04:38:02")]
