"""One group per account, the same in every output: the case, accounts.csv, groups.csv,
explain, the audit and the report (issue: accounts joined by the membership test used to show
one group in accounts.csv and another in groups.csv and the report)."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from cibscope.cli import app
from cibscope.evidence.explain import explain_account
from cibscope.generate import generate_dataset

runner = CliRunner()


@pytest.mark.slow
def test_every_output_agrees_on_each_accounts_group(tmp_path: Path) -> None:
    data = tmp_path / "data"
    generate_dataset(data, accounts=600, tweets=60_000, seed=7)
    out = tmp_path / "out"
    res = runner.invoke(app, ["run", str(data), "--out", str(out)], env={"COLUMNS": "250"})
    assert res.exit_code == 0, res.output
    con = duckdb.connect(str(out / "case.duckdb"), read_only=True)
    try:
        scores = dict(con.execute("SELECT account_id, group_id FROM scores WHERE group_id IS NOT NULL").fetchall())
        members = con.execute("SELECT account_id, group_id, role FROM group_members").fetchall()
        roles = {a: r for a, _, r in members}
        # one row per account in group_members, and the same group as in scores
        assert len(members) == len({a for a, _, _ in members})
        assert {a: g for a, g, _ in members} == scores
        assert "joined" in roles.values()  # the case has accounts the membership test joined
        flagged_groups = {g for (g,) in con.execute("SELECT group_id FROM groups WHERE flagged").fetchall()}
        assert flagged_groups and all(scores[a] in flagged_groups for a, r in roles.items() if r == "joined")
        sizes = dict(con.execute("SELECT group_id, size FROM groups").fetchall())
        counted: dict[int, int] = {}
        for g in scores.values():
            counted[g] = counted.get(g, 0) + 1
        assert sizes == counted
        # explain says the same
        for acc in sorted(a for a, r in roles.items() if r == "joined") + sorted(scores)[:20]:
            ex = explain_account(con, acc)
            assert (ex.group_id, ex.group_role) == (scores[acc], roles[acc])
    finally:
        con.close()
    # accounts.csv and groups.csv
    with open(out / "accounts.csv", newline="", encoding="utf-8") as f:
        acc_rows = {r["account_id"].lstrip("'"): r for r in csv.DictReader(f)}
    for a, g in scores.items():
        assert acc_rows[a]["group_id"] == str(g) and acc_rows[a]["group_role"] == roles[a]
    assert all(r["group_id"] == "" for a, r in acc_rows.items() if a not in scores)
    with open(out / "groups.csv", newline="", encoding="utf-8") as f:
        in_csv = {a.lstrip("'"): int(r["group_id"]) for r in csv.DictReader(f) for a in r["members"].split()}
    assert in_csv == scores
    # the audit
    with open(out / "audit.csv", newline="", encoding="utf-8") as f:
        audit = {r["account_id"].lstrip("'"): r for r in csv.DictReader(f)}
    for a, g in scores.items():
        assert audit[a]["group_id"] == str(g) and audit[a]["group_size"] == str(sizes[g])
    verdicts = json.loads((out / "audit.json").read_text(encoding="utf-8"))
    assert verdicts["accounts"]
    # the report: every account page links to its group, and its group's card exists
    index = (out / "report" / "index.html").read_text(encoding="utf-8")
    pages = sorted((out / "report" / "accounts").glob("a-*.html"))
    assert pages
    for page in pages:
        html = page.read_text(encoding="utf-8")
        acc = re.search(r'<dd class="mono">([^<]+)</dd>', html).group(1)
        link = re.search(r'index\.html#group-(\d+)"', html)
        if acc in scores:
            assert link is not None and int(link.group(1)) == scores[acc], acc
            assert f'id="group-{scores[acc]}"' in index or len(sizes) > 25
        else:
            assert link is None
