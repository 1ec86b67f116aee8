"""Cross-platform traces: the same link, site, hashtag, text or image on two platforms.

An operation run on several platforms posts the same material on each, often by hand or
with a cross-posting tool, minutes to hours apart. Each ``xp_*`` trace is its same-platform
twin (co_link, co_domain, co_hashtag, near_duplicate, co_image) with two changes:

* only pairs of accounts on **different** platforms count (``cross_platform = True``: the
  builder drops same-platform pairs; the layer is skipped on a case of one platform);
* the window is :data:`CROSS_PLATFORM_WINDOW` (one hour) instead of a minute: cross-posting
  is slower than a script on one platform (docs/cross-platform.md explains the choice).

The significance test is the builder's, with the null kept per platform: an account's
actions are exchangeable only with accounts of its own platform, and the expected
co-occurrence of a Twitter-Facebook pair is computed from the Twitter-Facebook co-occurrences
alone (:mod:`cibscope.networks.significance`), so a platform with ten times the volume of the
other does not make links by volume.
"""

from __future__ import annotations

from typing import ClassVar

from .co_hashtag import CoHashtag
from .co_image import CoImage
from .co_link import CoDomain, CoLink
from .near_duplicate import NearDuplicate

__all__ = ["CROSS_PLATFORM_WINDOW", "XpLink", "XpDomain", "XpHashtag", "XpText", "XpImage"]

#: Default window of the cross-platform traces (seconds).
CROSS_PLATFORM_WINDOW = 3600.0

_XP_BENIGN = (
    "One organisation's official accounts on each platform (a party, a newspaper, a candidate) "
    "publishing the same material: real cross-posting, coordinated but usually not inauthentic -- "
    "check who the accounts are.",
    "Cross-posting tools (Buffer, Hootsuite, IFTTT) used by one person for their own accounts.",
)


class XpLink(CoLink):
    """Key: the canonical URL, between accounts of different platforms."""

    name: ClassVar[str] = "xp_link"
    cross_platform: ClassVar[bool] = True
    default_window: ClassVar[float | None] = CROSS_PLATFORM_WINDOW
    description: ClassVar[str] = (
        "Accounts on different platforms that post the same canonical URL within `window` seconds of each "
        "other (an operation pushing one article on several platforms). Reposts are left out."
    )
    benign_causes: ClassVar[tuple[str, ...]] = (*_XP_BENIGN, "A viral article shared on every platform at once (low rarity weight).")


class XpDomain(CoDomain):
    """Key: the URL's domain, between accounts of different platforms."""

    name: ClassVar[str] = "xp_domain"
    cross_platform: ClassVar[bool] = True
    default_window: ClassVar[float | None] = CROSS_PLATFORM_WINDOW
    description: ClassVar[str] = (
        "Accounts on different platforms that link to the same site (domain) within `window` seconds of "
        "each other: a weaker layer than xp_link that catches an outlet's rotating article URLs."
    )
    benign_causes: ClassVar[tuple[str, ...]] = (*_XP_BENIGN, "Big sites are linked on every platform all the time (low rarity weight).")


class XpHashtag(CoHashtag):
    """Key: the case-folded hashtag, between accounts of different platforms."""

    name: ClassVar[str] = "xp_hashtag"
    cross_platform: ClassVar[bool] = True
    default_window: ClassVar[float | None] = CROSS_PLATFORM_WINDOW
    description: ClassVar[str] = (
        "Accounts on different platforms that use the same hashtag within `window` seconds of each other "
        "(one campaign tag pushed on several platforms). Reposts are left out."
    )
    benign_causes: ClassVar[tuple[str, ...]] = (*_XP_BENIGN, "Event and election hashtags used on every platform (low rarity weight).")


class XpText(NearDuplicate):
    """Key: the near-duplicate text cluster, between accounts of different platforms."""

    name: ClassVar[str] = "xp_text"
    cross_platform: ClassVar[bool] = True
    default_window: ClassVar[float | None] = CROSS_PLATFORM_WINDOW
    # near_duplicate keeps its clusters for the group-membership test; this layer's are the same
    stores_keys: ClassVar[bool] = False
    description: ClassVar[str] = (
        "Accounts on different platforms that post the same or nearly the same text (near_duplicate's "
        "clusters: estimated Jaccard similarity of shingles >= `threshold`) within `window` seconds of each other."
    )
    benign_causes: ClassVar[tuple[str, ...]] = (
        *_XP_BENIGN,
        "Press releases, quotes and greetings copied by many on every platform.",
    )


class XpImage(CoImage):
    """Key: the image hash, between accounts of different platforms."""

    name: ClassVar[str] = "xp_image"
    cross_platform: ClassVar[bool] = True
    default_window: ClassVar[float | None] = CROSS_PLATFORM_WINDOW
    description: ClassVar[str] = (
        "Accounts on different platforms that post the same image (equal hashes, as the source gives them) "
        "within `window` seconds of each other. Reposts are left out."
    )
    benign_causes: ClassVar[tuple[str, ...]] = (*_XP_BENIGN, "Memes and campaign graphics shared on every platform (low rarity weight).")



