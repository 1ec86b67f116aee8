"""`cibscope generate`: a realistic synthetic IO-archive dataset with planted operations."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..generate import generate_dataset
from .common import RichProgress, console, text


def register(app: typer.Typer) -> None:
    @app.command("generate")
    def generate_cmd(
        accounts: Annotated[int, typer.Option("--accounts", "-a", help="Rows of users.csv (at least 100).")] = 5000,
        tweets: Annotated[int, typer.Option("--tweets", "-t", help="Rows of tweets.csv, exactly (at least 10 per account).")] = 1_000_000,
        seed: Annotated[int, typer.Option("--seed", "-s", help="Same seed and sizes give byte-identical files.")] = 1,
        out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("generated"),
    ) -> None:
        """Write users.csv, tweets.csv (IO archive format), truth.csv and takedown.txt."""
        with RichProgress() as progress:
            r = generate_dataset(out, accounts=accounts, tweets=tweets, seed=seed, progress=progress)
        console.print(
            f"{r.n_accounts:,} accounts ({r.n_io:,} in {len(r.groups)} operations, "
            f"{r.n_claimed_organic:,} organic wrongly claimed) and {r.n_tweets:,} tweets in {r.seconds:.1f} s"
        )
        for g in r.groups:
            console.print(f"  {g['group']}: {g['size']} accounts, {', '.join(map(str, g['tactics']))}", highlight=False)
        for p in (r.users_path, r.tweets_path, r.truth_path, r.takedown_path):
            console.print(text(f"  {p}"), highlight=False)
