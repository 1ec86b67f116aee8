"""`cibscope generate`: a realistic synthetic IO-archive dataset with planted operations."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from .common import RichProgress, console, text


def register(app: typer.Typer) -> None:
    @app.command("generate")
    def generate_cmd(
        accounts: Annotated[int, typer.Option("--accounts", "-a", help="Rows of users.csv (at least 100).")] = 5000,
        tweets: Annotated[int, typer.Option("--tweets", "-t", help="Rows of tweets.csv, exactly (at least 10 per account).")] = 1_000_000,
        seed: Annotated[int, typer.Option("--seed", "-s", help="Same seed and sizes give byte-identical files.")] = 1,
        out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("generated"),
        knob: Annotated[Optional[list[str]], typer.Option("--knob", "-k", help="A knob of the world, NAME=VALUE (repeatable): io_share, group_size, weak_share, participation_lo/hi, coord_share, rt_delay_hi, rt_fast_share, trait_strength, io_engagement, fan_rate, fan_cohesion, drop_tactic, minute_only (docs/generator.md).")] = None,
        cross_platform: Annotated[bool, typer.Option("--cross-platform", help="Instead: Twitter and Facebook posts in one CSV (posts.csv, --tweets posts, and truth.csv) with a planted cross-platform operation (docs/cross-platform.md).")] = False,
    ) -> None:
        """Write users.csv, tweets.csv (IO archive format), truth.csv and takedown.txt."""
        if cross_platform:
            from ..generate.cross_platform import generate_cross_platform

            x = generate_cross_platform(out, accounts=accounts, posts=tweets, seed=seed)
            console.print(f"{x.n_accounts:,} accounts (Twitter and Facebook) and {x.n_posts:,} posts")
            for g, members in x.groups.items():
                console.print(f"  {g}: {len(members)} accounts", highlight=False)
            for p in (x.posts_path, x.truth_path):
                console.print(f"  {p}", highlight=False)
            console.print(f"read with: cibscope ingest {x.posts_path} (preset cibscope-cross-platform, picked by the header)", highlight=False)
            return
        from ..generate.world import parse_world
        from .detect import parse_param_items

        world = parse_world(parse_param_items(knob))
        with RichProgress() as progress:
            from ..generate import generate_dataset  # heavy (pandas): only when data is generated

            r = generate_dataset(out, accounts=accounts, tweets=tweets, seed=seed, progress=progress, world=world)
        console.print(
            f"{r.n_accounts:,} accounts ({r.n_io:,} in {len(r.groups)} operations, "
            f"{r.n_claimed_organic:,} organic wrongly claimed) and {r.n_tweets:,} tweets in {r.seconds:.1f} s"
        )
        for g in r.groups:
            console.print(f"  {g['group']}: {g['size']} accounts, {', '.join(map(str, g['tactics']))}", highlight=False)
        for p in (r.users_path, r.tweets_path, r.truth_path, r.takedown_path):
            console.print(text(f"  {p}"), highlight=False)
