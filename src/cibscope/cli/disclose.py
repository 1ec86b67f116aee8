"""`cibscope disclose`: a finding published as a disclosure package (IO-archive format)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .common import CaseOption, RichProgress, console


def register(app: typer.Typer) -> None:
    @app.command("disclose")
    def disclose_cmd(
        out: Annotated[Path, typer.Option("--out", "-o", help="Package folder (created; its files are replaced; one holding another package's CSVs is refused).")],
        case: CaseOption = Path("case.duckdb"),
        accounts: Annotated[str, typer.Option("--accounts", "-a", help="flagged (the last detection run's), all, a file of account ids (one a line), or id1,id2,...")] = "flagged",
        threshold: Annotated[int, typer.Option("--threshold", help="Accounts with fewer followers (or none known) are hashed.")] = 5000,
        salt: Annotated[Optional[str], typer.Option("--salt", help="The release's secret salt for the hashes (default: derived from the case; see docs/disclosure.md).")] = None,
        drop_texts: Annotated[str, typer.Option("--drop-texts", help="none, hashed (empty the texts of hashed accounts) or all.")] = "none",
        name: Annotated[Optional[str], typer.Option("--name", help="File name prefix (default: the case file's name).")] = None,
        platform: Annotated[Optional[str], typer.Option("--platform", help="Only this platform's accounts (default: every platform, one pair of files each).")] = None,
    ) -> None:
        """Write the accounts and their posts as a disclosure package: IO-archive users and tweets CSVs (hashed under the follower threshold), README.md and SHA256SUMS."""
        from ..disclose import disclose

        with RichProgress() as progress:
            r = disclose(case, out=out, accounts=accounts, threshold=threshold, salt=salt, drop_texts=drop_texts,
                         name=name, platform=platform, progress=progress)
        console.print(
            f"{r.n_accounts:,} accounts ({r.n_hashed:,} hashed) and {r.n_tweets:,} tweets"
            + (f" on {', '.join(r.platforms)}" if len(r.platforms) > 1 else "")
            + ("" if r.salt_given else "; salt derived from the case (give --salt with a secret for a public release)")
        )
        for p in r.files.values():
            console.print(f"  {p}", highlight=False)
        console.print(f"read back with: cibscope ingest {r.out_dir} --case CASE.duckdb", highlight=False)
