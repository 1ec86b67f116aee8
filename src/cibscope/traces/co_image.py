"""Co-image: accounts posting the same image (its hash, as the source gives it) together."""

from __future__ import annotations

from typing import Any, ClassVar

from .base import IsBool, Trace, source_expr, tolerance_expr


class CoImage(Trace):
    """Key: the image hash (``post_images.image_hash``), compared as given."""

    name: ClassVar[str] = "co_image"
    description: ClassVar[str] = (
        "Accounts that post the same image within `window` seconds of each other. The image is "
        "known by the hash the source gives (a perceptual hash, or an id of one such as CooRTweet's "
        "phash_id): equal hashes are the same image, no distance between hashes is computed. "
        "Retweets are left out: their images are the original's."
    )
    benign_causes: ClassVar[tuple[str, ...]] = (
        "Memes, stock photos and official campaign graphics shared by many at once (low rarity weight).",
        "A news agency's photo used by several outlets' accounts publishing the same story.",
        "Perceptual hashes of near-blank or logo-only images collide across unrelated images.",
    )
    default_window: ClassVar[float | None] = 60.0
    own_constraints: ClassVar[dict[str, Any]] = {"include_reposts": IsBool()}
    own_defaults: ClassVar[dict[str, Any]] = {"include_reposts": False}

    def sql(self) -> str:
        rep = "" if self.params["include_reposts"] else " WHERE p.repost_of IS NULL"
        # one action per (post, image): an image attached twice to a post is one use
        return (
            f"SELECT p.account_id, i.image_hash AS key, p.created_at AS at, p.post_id, {source_expr('p')} AS source, "
            f"'image ' || i.image_hash AS item, {tolerance_expr('p')} AS tolerance "
            "FROM (SELECT DISTINCT x.post_id, x.image_hash FROM post_images AS x "
            "WHERE x.image_hash IS NOT NULL AND x.image_hash <> '') AS i JOIN posts AS p ON p.post_id = i.post_id"
            f"{rep}"
        )
