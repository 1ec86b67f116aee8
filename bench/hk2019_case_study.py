"""Figures of docs/case-studies/hong-kong-2019.md: the account-only audit of Twitter's Hong Kong
(China, August 2019) takedown users files, with the shipped claims file.

Run: .venv/bin/python bench/hk2019_case_study.py [--real ../shared/data/real]

1. Set 1 (china_082019_1_users_csv_hashed.csv, 744 accounts, Twitter's own header) is ingested
   with `cibscope.ingest` (io-archive users reader) and audited with claimed = all.
2. Sets 1+2 (hkio_users_df.csv, 940 accounts, columns renamed by the R package hongkongio) are
   ingested as they are (the generic reader's preset ``hongkongio-users``, picked by the header)
   and audited the same way. Prints the summary, the metadata figures and the claims table
   (stated, measured, test, verdict and why) for both.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

import cibscope  # noqa: E402
from cibscope.audit import run_audit  # noqa: E402

CLAIMS = REPO / "src" / "cibscope" / "audit" / "claims" / "hong-kong-2019.toml"


def audit(users: Path, work: Path, label: str) -> None:
    case = work / f"{label}.duckdb"
    rep = cibscope.ingest_files([users], case=case)
    print(f"== {label}: {users.name}: read {rep.totals()['rows_read']}, kept {rep.totals()['rows_kept']}, format {rep.files[0].format}")
    r = run_audit(case, claimed="all", claims=CLAIMS, out=work / f"{label}_out")
    print(json.dumps(r.summary(), indent=1))
    m = dict(r.metadata)
    print(json.dumps(m, indent=1, default=str))
    for c in r.claims:
        stated = "-" if c.stated is None else f"{c.stated:g}"
        print(f"  [{c.status}] {c.claim_id}: stated {stated}, measured {c.measured_text or '-'}, test {c.test or '-'} -- {c.reason}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--real", type=Path, default=REPO.parent / "shared" / "data" / "real")
    args = ap.parse_args()
    d = args.real / "twitter-io-china-082019-users"
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        audit(d / "china_082019_1_users_csv_hashed.csv", work, "set1")
        audit(d / "hkio_users_df.csv", work, "sets1+2")


if __name__ == "__main__":
    main()
