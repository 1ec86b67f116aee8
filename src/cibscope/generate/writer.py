"""Writing the generated files: users.csv, tweets.csv (streamed), truth.csv, takedown.txt.

CSV files are written by Arrow with every value quoted, like Twitter's releases
(``"tweetid","userid",...`` with ``""`` for empty fields), UTF-8, ``\\n`` line ends.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from . import clock
from .population import Population
from .render import TWEET_COLUMNS, USER_COLUMNS

TRUTH_COLUMNS = ("userid", "label", "group", "tactic", "claimed")
_OPTIONS = pacsv.WriteOptions(quoting_style="all_valid", batch_size=16384)


def write_users(pop: Population, path: Path) -> None:
    cols = [
        pa.array(pop.userid, pa.string()),
        pa.array(pop.display, pa.string()),
        pa.array(pop.screen, pa.string()),
        pa.array(pop.location, pa.string()),
        pa.array(pop.description, pa.string()),
        pa.array(pop.profile_url, pa.string()),
        pa.array(pop.followers).cast(pa.string()),
        pa.array(pop.following).cast(pa.string()),
        pa.array(clock.date_strings(pop.creation_day), pa.string()),
        pa.array(pop.account_language, pa.string()),
    ]
    pacsv.write_csv(pa.table(cols, names=list(USER_COLUMNS)), str(path), _OPTIONS)


def truth_rows(pop: Population) -> pa.Table:
    """userid, label (io|organic), group (io_N or empty), tactic ('|'-joined, sorted), claimed."""
    assert pop.claimed is not None
    label = np.where(pop.group >= 0, "io", "organic")
    group = [pop.groups[g].name if g >= 0 else "" for g in pop.group]
    tactic = ["|".join(sorted(t)) for t in pop.tags]
    claimed = np.where(pop.claimed, "true", "false")
    return pa.table(
        [pa.array(pop.userid, pa.string()), pa.array(label, pa.string()), pa.array(group, pa.string()),
         pa.array(tactic, pa.string()), pa.array(claimed, pa.string())],
        names=list(TRUTH_COLUMNS),
    )


def write_truth(pop: Population, path: Path) -> None:
    pacsv.write_csv(truth_rows(pop), str(path), _OPTIONS)


def write_takedown(pop: Population, path: Path) -> None:
    """The "claimed" list an audit starts from: one account id per line, users.csv order."""
    assert pop.claimed is not None
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for u in np.flatnonzero(pop.claimed):
            f.write(pop.userid[int(u)] + "\n")


class TweetWriter:
    """Streams chunks of tweet rows into one CSV under the archive's 31-column header."""

    def __init__(self, path: Path) -> None:
        self._file: BinaryIO = open(path, "wb")
        schema = pa.schema([(c, pa.string()) for c in TWEET_COLUMNS])
        self._writer = pacsv.CSVWriter(self._file, schema, write_options=_OPTIONS)
        self.rows = 0

    def write(self, table: pa.Table) -> None:
        self._writer.write_table(table)
        self.rows += table.num_rows

    def close(self) -> None:
        self._writer.close()
        self._file.close()
