"""How good is the political-topic lexicon? Precision and recall on hand-labelled real posts.

Run: .venv/bin/python bench/bench_topic.py [--real ../shared/data/real]

1. bench/data/topic_labels.csv: 197 real posts labelled political / not by hand (one annotator,
   see the file's header), from Chua's state-troll validation set and the SPOTTED validation set.
   The script reads the texts from the real files and compares the lexicon's labels.
2. A proxy without hand labels: the share of posts labelled political per Linvill & Warren
   account category of the IRA tweets (RightTroll / LeftTroll are political accounts, Commercial
   and HashtagGamer mostly not). Category shares are not per-post truth; they show separation.
Prints figures only; no thresholds asserted (it is a measurement, not a test).
"""

from __future__ import annotations

import argparse
import csv
import glob
import sys
from pathlib import Path

import duckdb

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from cibscope.audit.topic import is_political, political_sql  # noqa: E402


def _texts(real: Path) -> dict[tuple[str, str], str]:
    con = duckdb.connect()
    out: dict[tuple[str, str], str] = {}
    v = "state-trolls-vs-verified-tweets/validate.csv"
    for tid, text in con.execute(f"SELECT tweetid, tweet_text FROM read_csv('{real / v}', all_varchar=true)").fetchall():
        out[(v, tid)] = text
    s = "spotted-io-vs-verified-tweets/SPOTTED_validation_dataset.csv"
    rel = con.sql(f"SELECT * FROM read_csv('{real / s}', all_varchar=true)")
    idx = rel.columns[0]
    for i, text in con.execute(f'SELECT "{idx}", tweet_text FROM read_csv(\'{real / s}\', all_varchar=true)').fetchall():
        out[(s, i)] = text
    return out


def _prf(y: list[int], p: list[int]) -> tuple[int, float, float, float]:
    tp = sum(1 for a, b in zip(y, p) if a and b)
    fp = sum(1 for a, b in zip(y, p) if not a and b)
    fn = sum(1 for a, b in zip(y, p) if a and not b)
    prec = tp / (tp + fp) if tp + fp else float("nan")
    rec = tp / (tp + fn) if tp + fn else float("nan")
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else float("nan")
    return len(y), prec, rec, f1


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--real", type=Path, default=REPO.parent / "shared" / "data" / "real")
    args = ap.parse_args()
    texts = _texts(args.real)
    rows = [r for r in csv.reader(open(REPO / "bench" / "data" / "topic_labels.csv", encoding="utf-8")) if r and not r[0].startswith("#")][1:]
    labelled = [(f, i, g, int(y), texts[(f, i)]) for f, i, g, y in rows]
    pred = is_political([t for *_, t in labelled])
    print("hand-labelled posts: group, n, positives, precision, recall, F1")
    for group in ("en", "zh", "all"):
        sel = [(r, p) for r, p in zip(labelled, pred) if group == "all" or r[2] == group]
        y = [r[3] for r, _ in sel]
        n, prec, rec, f1 = _prf(y, [int(p) for _, p in sel])
        print(f"  {group:4s} n={n:4d} positives={sum(y):3d} precision={prec:.3f} recall={rec:.3f} F1={f1:.3f}")
    fps = [r[4][:90] for r, p in zip(labelled, pred) if p and not r[3]]
    fns = [r[4][:90] for r, p in zip(labelled, pred) if not p and r[3]]
    print(f"false positives ({len(fps)}):")
    for t in fps:
        print("   ", " ".join(t.split()))
    print(f"false negatives ({len(fns)}), first 15:")
    for t in fns[:15]:
        print("   ", " ".join(t.split()))
    files = sorted(glob.glob(str(args.real / "ira-clemson-fivethirtyeight-by-author" / "tweets_*.csv.gz")))
    if files:
        con = duckdb.connect()
        res = con.execute(
            f"""SELECT regexp_extract(filename, 'tweets_([A-Za-z]+)', 1) AS category, count(*) AS posts,
                       avg({political_sql('content')}::INT) AS political_share
                FROM read_csv({files}, all_varchar=true, filename=true, union_by_name=true)
                WHERE language = 'English' GROUP BY 1 ORDER BY 3 DESC"""
        ).fetchall()
        print("IRA tweets (English) by Linvill & Warren category: posts, share labelled political")
        for cat, n, share in res:
            print(f"  {cat:13s} {n:8d} {share:.3f}")


if __name__ == "__main__":
    main()
