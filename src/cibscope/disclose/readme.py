"""The package's README.md: what is in it, what was hashed or dropped, and on what evidence.

Plain Markdown, deterministic (no dates, no paths beyond the case file's name), so the same
case and parameters give the same bytes.
"""

from __future__ import annotations

import json
from typing import Any

from .. import __version__

__all__ = ["readme_text", "REIDENTIFICATION_WARNING"]

REIDENTIFICATION_WARNING = (
    "Hashing is not anonymisation. The hashed accounts' ids, handles and display names are replaced "
    "by a salted hash, but tweet texts keep the handles they mention (as in Twitter's own releases), "
    "profile descriptions, locations and URLs are kept, and a tweet's time and text can often be "
    "found again on the platform, which gives the account away. Whoever holds the salt can test "
    "whether a known id is in the package. Release only what the finding needs; drop texts "
    "(`--drop-texts hashed` or `all`) when they are not part of the evidence."
)


def _n(x: Any) -> str:
    return f"{int(x):,}"


def readme_text(
    *,
    case_name: str,
    per_platform: list[dict[str, Any]],
    evidence: dict[str, Any],
    threshold: int,
    salt_given: bool,
    drop_texts: str,
    n_requested: int,
    selection: str,
) -> str:
    lines: list[str] = []
    add = lines.append
    add(f"# Disclosure package: {case_name}")
    add("")
    add(f"Written by cibscope {__version__} (`cibscope disclose`) in the format of Twitter's Information Operations "
        "archive (hashed versions): a users CSV (10 columns) and a tweets CSV (31 columns) per platform, every value "
        "quoted, `tweet_time` to the minute (UTC), `absent` coordinates, bracketed lists. Read it back with "
        "`cibscope ingest <this folder>`; check the files with `sha256sum -c SHA256SUMS`.")
    add("")
    add(f"Accounts disclosed: {_n(n_requested)} ({selection}).")
    add("")
    add("## Files")
    add("")
    add("| platform | file | rows |")
    add("| --- | --- | ---: |")
    for s in per_platform:
        add(f"| {s['platform']} | `{s['users_file']}` | {_n(s['users'])} |")
        add(f"| {s['platform']} | `{s['tweets_file']}` | {_n(s['tweets'])} |")
    add("")
    add("## Counts")
    add("")
    for s in per_platform:
        add(f"### {s['platform']}")
        add("")
        add(f"- accounts: {_n(s['accounts'])}, of which hashed: {_n(s['hashed_accounts'])}")
        add(f"- tweets: {_n(s['posts'])} ({_n(s['reposts'])} retweets, {_n(s['replies'])} replies, {_n(s['quotes'])} quotes)"
            + (f", {s['first']} to {s['last']} UTC" if s["first"] else ""))
        add(f"- tweet ids that encode their time (snowflakes): {_n(s['snowflake'])} of {_n(s['posts'])}; a reader recovers "
            "the second for those, the others keep the minute")
        add(f"- references to other accounts: {_n(s['retweet_refs'])} `retweet_userid` ({_n(s['retweet_refs_hashed'])} hashed), "
            f"{_n(s['reply_refs'])} `in_reply_to_userid` ({_n(s['reply_refs_hashed'])} hashed), {_n(s['mentions'])} `user_mentions` items")
        if s["domains_without_url"] or s["images"]:
            add(f"- not in the format, left out: {_n(s['domains_without_url'])} links known by their domain only, "
                f"{_n(s['images'])} image hashes")
        if s["texts_dropped"]:
            add(f"- texts emptied: {_n(s['texts_dropped'])}")
        add("")
    add("## Hashing")
    add("")
    add(f"Accounts with fewer than {_n(threshold)} followers, or with no known follower count, are published as one hash in "
        "`userid`, `user_screen_name` and `user_display_name` (so `userid == user_screen_name == user_display_name` marks a "
        "hashed account), and the same hash replaces their id in `retweet_userid`, `in_reply_to_userid` and `user_mentions`. "
        "Accounts referenced but not in the case are hashed too (their follower count is unknown). Tweet ids are not hashed.")
    add("")
    add("The hash is 64 hex digits of SHA-256 over a per-release salt and the id. "
        + ("The salt was given by the publisher." if salt_given else
           "The salt was derived from the case (its input files' content hashes, the accounts disclosed and the threshold): "
           "the same case and parameters give the same package.")
        + " The salt is not in the package.")
    add("")
    add("Texts: " + {"none": "kept.", "hashed": "emptied for hashed accounts.", "all": "emptied for every tweet."}[drop_texts])
    add("")
    add("**Re-identification.** " + REIDENTIFICATION_WARNING)
    add("")
    add("The CSV cells are data, not spreadsheet cells: they are not escaped against formula injection. Open them with a CSV "
        "reader, not a spreadsheet.")
    add("")
    add("## Evidence summary")
    add("")
    if not evidence.get("detected"):
        add("The case had no detection run when the package was written.")
        return "\n".join(lines) + "\n"
    add(f"From the case's latest detection run. Flagged among the disclosed accounts: {_n(evidence['flagged'])}.")
    add("")
    if evidence["layers"]:
        add("Edges between disclosed accounts, per trace (layer):")
        add("")
        add("| trace | edges | evidence pairs |")
        add("| --- | ---: | ---: |")
        for layer, n, k in evidence["layers"]:
            add(f"| {layer} | {_n(n)} | {_n(k)} |")
        add("")
    groups = evidence["groups"]
    add(f"Groups holding disclosed accounts: {_n(evidence['n_groups'])}" + (f" (the {len(groups)} largest shares below)" if evidence["n_groups"] > len(groups) else "") + ".")
    add("")
    if groups:
        add("| group | size | disclosed | traces | active (UTC) | top shared items (trace, pairs) |")
        add("| ---: | ---: | ---: | --- | --- | --- |")
        for g in groups:
            try:
                layers = ", ".join(sorted(json.loads(g["layers"]))) if g["layers"] else ""
            except (ValueError, TypeError):
                layers = str(g["layers"])
            span = f"{str(g['start'])[:16]} to {str(g['end'])[:16]}" if g["start"] else ""
            items = "; ".join(f"`{_cell(i)}` ({layer}, {_n(n)})" for layer, i, n in g["items"])
            add(f"| {g['group_id']} | {_n(g['size'])} | {_n(g['disclosed'])} | {layers} | {span} | {items} |")
        add("")
    add("Shared items are listed only for traces whose items name no account and quote no hidden text "
        "(mentions, reply targets and profiles are left out).")
    add("")
    add("Detection parameters (JSON):")
    add("")
    add("```json")
    add(json.dumps(json.loads(evidence["params"]), sort_keys=True, indent=1) if evidence.get("params") else "{}")
    add("```")
    return "\n".join(lines) + "\n"


def _cell(s: str, n: int = 60) -> str:
    s = s.replace("|", "\\|").replace("`", "'").replace("\n", " ")
    return s if len(s) <= n else s[: n - 1] + "…"
