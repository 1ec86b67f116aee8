"""The case schema, declared once. Every stage reads and writes these tables.

Data flow: ingest -> normalized tables (accounts, posts, post_*) -> behavioural traces ->
similarity networks (edges) -> groups -> evidence and scores -> report/audit.

Conventions
-----------
* Ids are VARCHAR: tweet ids are 64-bit integers kept exact as decimal strings; other
  platforms' ids are arbitrary strings.
* Times are ``TIMESTAMP`` holding UTC (no zone). ``posts.time_precision`` says how precise
  ``created_at`` is: ``'second'`` (recovered from a snowflake id or given by the source),
  ``'minute'`` (IO archive ``tweet_time`` without a usable snowflake) or ``'day'``.
* Every post keeps ``source_file`` and ``source_line`` (1-based physical line where the
  record starts), so any evidence can point back to the input.
* Account pairs are stored once with ``account_a < account_b``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

SCHEMA_VERSION = 2

# Kinds of post.
POST_KINDS = ("post", "repost", "reply", "quote")
TIME_PRECISIONS = ("second", "minute", "day")


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[tuple[str, str], ...]
    doc: str

    def ddl(self) -> str:
        cols = ",\n  ".join(f"{n} {t}" for n, t in self.columns)
        return f"CREATE TABLE IF NOT EXISTS {self.name} (\n  {cols}\n)"

    @property
    def column_names(self) -> list[str]:
        return [n for n, _ in self.columns]

    def arrow_schema(self) -> pa.Schema:
        """The table as an Arrow schema (for vectorised inserts from Python)."""
        return pa.schema([(n, ARROW_TYPES[t]) for n, t in self.columns])


# DuckDB column types used in the schema -> Arrow types
ARROW_TYPES: dict[str, pa.DataType] = {
    "VARCHAR": pa.string(),
    "BIGINT": pa.int64(),
    "INTEGER": pa.int32(),
    "DOUBLE": pa.float64(),
    "BOOLEAN": pa.bool_(),
    "TIMESTAMP": pa.timestamp("us"),
    "VARCHAR[]": pa.list_(pa.string()),
}


META = Table("meta", (("key", "VARCHAR"), ("value", "VARCHAR")), "Case metadata: schema_version, created_at, cibscope_version.")

ACCOUNTS = Table(
    "accounts",
    (
        ("account_id", "VARCHAR"),
        ("platform", "VARCHAR"),
        ("screen_name", "VARCHAR"),
        ("display_name", "VARCHAR"),
        ("description", "VARCHAR"),
        ("location", "VARCHAR"),
        ("profile_url", "VARCHAR"),
        ("follower_count", "BIGINT"),
        ("following_count", "BIGINT"),
        ("created_at", "TIMESTAMP"),
        ("account_language", "VARCHAR"),
        ("is_hashed", "BOOLEAN"),
        ("source_file", "VARCHAR"),
        ("source_line", "BIGINT"),
    ),
    "One row per account. From a users file when there is one, else from the newest post carrying the account's snapshot.",
)

POSTS = Table(
    "posts",
    (
        ("post_id", "VARCHAR"),
        ("account_id", "VARCHAR"),
        ("platform", "VARCHAR"),
        ("created_at", "TIMESTAMP"),
        ("time_precision", "VARCHAR"),
        ("kind", "VARCHAR"),
        ("text", "VARCHAR"),
        ("text_norm", "VARCHAR"),
        ("lang", "VARCHAR"),
        ("client", "VARCHAR"),
        ("repost_of", "VARCHAR"),
        ("repost_of_account", "VARCHAR"),
        ("reply_to_post", "VARCHAR"),
        ("reply_to_account", "VARCHAR"),
        ("quote_of", "VARCHAR"),
        ("like_count", "BIGINT"),
        ("repost_count", "BIGINT"),
        ("reply_count", "BIGINT"),
        ("quote_count", "BIGINT"),
        ("latitude", "DOUBLE"),
        ("longitude", "DOUBLE"),
        ("source_file", "VARCHAR"),
        ("source_line", "BIGINT"),
    ),
    "One row per post (tweet, retweet, reply, quote, or another platform's post).",
)

POST_HASHTAGS = Table(
    "post_hashtags",
    (
        ("post_id", "VARCHAR"),
        ("account_id", "VARCHAR"),
        ("created_at", "TIMESTAMP"),
        ("position", "INTEGER"),
        ("hashtag", "VARCHAR"),
        ("hashtag_raw", "VARCHAR"),
    ),
    "Exploded hashtags; `hashtag` is case-folded (Unicode-aware, NFKC), without '#'.",
)

POST_URLS = Table(
    "post_urls",
    (
        ("post_id", "VARCHAR"),
        ("account_id", "VARCHAR"),
        ("created_at", "TIMESTAMP"),
        ("position", "INTEGER"),
        ("url", "VARCHAR"),
        ("url_raw", "VARCHAR"),
        ("domain", "VARCHAR"),
        ("is_shortener", "BOOLEAN"),
    ),
    "Exploded URLs; `url` canonical (lower-case scheme/host, no fragment, tracking parameters dropped). "
    "`domain` is the URL's host, or the domain the source gives (then `url` may be NULL: a link known only by its site).",
)

POST_MENTIONS = Table(
    "post_mentions",
    (
        ("post_id", "VARCHAR"),
        ("account_id", "VARCHAR"),
        ("created_at", "TIMESTAMP"),
        ("position", "INTEGER"),
        ("mentioned", "VARCHAR"),
    ),
    "Exploded mentions: the mentioned account's id (possibly hashed) or lower-cased handle.",
)

POST_IMAGES = Table(
    "post_images",
    (
        ("post_id", "VARCHAR"),
        ("account_id", "VARCHAR"),
        ("created_at", "TIMESTAMP"),
        ("position", "INTEGER"),
        ("image_hash", "VARCHAR"),
    ),
    "Exploded image hashes, as the source gives them (a perceptual hash or an id of one, e.g. CooRTweet's phash_id); "
    "equal strings are the same image, no distance is computed.",
)

INGEST_LOG = Table(
    "ingest_log",
    (
        ("source_file", "VARCHAR"),
        ("content_hash", "VARCHAR"),
        ("format", "VARCHAR"),
        ("rows_read", "BIGINT"),
        ("rows_kept", "BIGINT"),
        ("rows_quarantined", "BIGINT"),
        ("ingested_at", "TIMESTAMP"),
        ("seconds", "DOUBLE"),
    ),
    "Per source file: rows read = rows kept + rows quarantined.",
)

QUARANTINE = Table(
    "quarantine",
    (
        ("source_file", "VARCHAR"),
        ("source_line", "BIGINT"),
        ("raw", "VARCHAR"),
        ("reason", "VARCHAR"),
    ),
    "Rows that could not be kept, with where they were and why.",
)

# ---- detection outputs (written by `cibscope detect`) -------------------------------------

EDGES = Table(
    "edges",
    (
        ("layer", "VARCHAR"),
        ("account_a", "VARCHAR"),
        ("account_b", "VARCHAR"),
        ("n_shared", "BIGINT"),
        ("weight", "DOUBLE"),
        ("expected", "DOUBLE"),
        ("p_value", "DOUBLE"),
        ("first_at", "TIMESTAMP"),
        ("last_at", "TIMESTAMP"),
    ),
    "Per-trace (layer) account pairs with account_a < account_b: co-occurrence count, rarity-weighted weight, expected count under the null and p-value.",
)

GROUPS = Table(
    "groups",
    (
        ("group_id", "INTEGER"),
        ("size", "INTEGER"),
        ("layers", "VARCHAR"),
        ("start_at", "TIMESTAMP"),
        ("end_at", "TIMESTAMP"),
        ("cohesion", "DOUBLE"),
        ("top_items", "VARCHAR"),
        ("core_size", "INTEGER"),
        ("verdict", "VARCHAR"),
        ("flagged", "BOOLEAN"),
        ("statistic", "DOUBLE"),
        ("e_value", "DOUBLE"),
        ("q_value", "DOUBLE"),
        ("signals", "VARCHAR"),
        ("strength", "DOUBLE"),
        ("median_seconds", "DOUBLE"),
        ("precision_mix", "VARCHAR"),
    ),
    "Groups found on the fused multiplex network, with their decision. `size` counts every member "
    "(`core_size` those Leiden found, the rest joined by the group-membership test). `verdict`: "
    "`operation` (coordinated beyond the case's null and inauthentic: flagged), `coordinated` "
    "(coordinated, no inauthenticity signal: listed, not flagged) or `chance` (not beyond the null). "
    "`statistic` = internal evidence, `e_value`/`q_value` against the null copies (see null_groups), "
    "`signals` = JSON list of the inauthenticity signals that fired (group_signals). `layers`, "
    "`top_items` (the group's defining items, group_items) and `precision_mix` (evidence pairs by time "
    "precision) are JSON; `median_seconds` is over second-precision evidence pairs only.",
)

GROUP_MEMBERS = Table(
    "group_members",
    (("group_id", "INTEGER"), ("account_id", "VARCHAR"), ("role", "VARCHAR"), ("evidence", "DOUBLE")),
    "Which accounts belong to which group (one group per account). `role`: `core` (found by Leiden) or "
    "`joined` (outside the group's links, tied to it by the group-membership test; `evidence` = that "
    "test's -log10 E).",
)

GROUP_SIGNALS = Table(
    "group_signals",
    (
        ("group_id", "INTEGER"),
        ("signal", "VARCHAR"),
        ("k", "INTEGER"),
        ("n", "INTEGER"),
        ("base_rate", "DOUBLE"),
        ("lift", "DOUBLE"),
        ("p_value", "DOUBLE"),
        ("q_value", "DOUBLE"),
        ("fired", "BOOLEAN"),
        ("detail", "VARCHAR"),
        ("evidence", "VARCHAR"),
    ),
    "Inauthenticity traits tested on each group against the rest of the case: k of n assessable members "
    "show the trait, vs `base_rate` of the other accounts; `evidence` is JSON (members, per-member data).",
)

GROUP_ITEMS = Table(
    "group_items",
    (
        ("group_id", "INTEGER"),
        ("rank", "INTEGER"),
        ("layer", "VARCHAR"),
        ("key", "VARCHAR"),
        ("item", "VARCHAR"),
        ("members", "BIGINT"),
        ("accounts", "BIGINT"),
        ("log10_p", "DOUBLE"),
        ("actions", "BIGINT"),
    ),
    "Each group's defining items: keys significantly over-represented among its members vs the case "
    "(hypergeometric test, Bonferroni over all candidates), ranked by the members' `actions` on them; "
    "`members` of the group and `accounts` in all acted on the key.",
)

NULL_EDGES = Table(
    "null_edges",
    (
        ("replicate", "INTEGER"),
        ("layer", "VARCHAR"),
        ("account_a", "VARCHAR"),
        ("account_b", "VARCHAR"),
        ("n_shared", "BIGINT"),
        ("p_value", "DOUBLE"),
    ),
    "The significant edges of each null copy of the case (kept so that re-scoring with other group "
    "parameters, or without a layer, regroups them without rebuilding); pairs tested per copy are in "
    "detect_runs.stats.",
)

NULL_GROUPS = Table(
    "null_groups",
    (("replicate", "INTEGER"), ("size", "INTEGER"), ("pairs", "BIGINT"), ("evidence", "DOUBLE"), ("layers", "VARCHAR")),
    "The groups found in the null copies of the case (coordination broken, activity kept): the "
    "distribution each real group's internal evidence is compared with.",
)

SCORES = Table(
    "scores",
    (
        ("account_id", "VARCHAR"),
        ("score", "DOUBLE"),
        ("flagged", "BOOLEAN"),
        ("group_id", "INTEGER"),
        ("top_reasons", "VARCHAR"),
    ),
    "Per-account coordination score in [0, 1]; the sum of the named contributions, squashed.",
)

SCORE_CONTRIBUTIONS = Table(
    "score_contributions",
    (
        ("account_id", "VARCHAR"),
        ("contribution", "VARCHAR"),
        ("value", "DOUBLE"),
        ("n_evidence", "BIGINT"),
        ("detail", "VARCHAR"),
    ),
    "The named terms that add up to an account's score (one per trace plus account-level signatures).",
)

EVIDENCE = Table(
    "evidence",
    (
        ("evidence_id", "BIGINT"),
        ("layer", "VARCHAR"),
        ("account_a", "VARCHAR"),
        ("account_b", "VARCHAR"),
        ("post_a", "VARCHAR"),
        ("post_b", "VARCHAR"),
        ("at_a", "TIMESTAMP"),
        ("at_b", "TIMESTAMP"),
        ("seconds_apart", "DOUBLE"),
        ("shared_item", "VARCHAR"),
        ("source_a", "VARCHAR"),
        ("source_b", "VARCHAR"),
        ("key_layer", "VARCHAR"),
        ("key", "VARCHAR"),
        ("precision", "VARCHAR"),
    ),
    "Concrete, checkable evidence behind edges: the two posts, their times, the shared item, and file:line of each. "
    "`key_layer`/`key`: the trace layer and key the item belongs to (for group_membership rows, the action's layer); "
    "`precision`: the coarser time precision of the two posts (`second`, `minute`, `day`): `seconds_apart` of "
    "minute-precision posts is only known to the minute.",
)

POST_KEYS = Table(
    "post_keys",
    (("layer", "VARCHAR"), ("post_id", "VARCHAR"), ("account_id", "VARCHAR"), ("key", "VARCHAR")),
    "Keys the builder computed for posts, for layers whose key is not a column of the case "
    "(near_duplicate: the cluster of the post's normalised text); only keys of at least two posts. "
    "The group-membership test reads them instead of clustering the texts again.",
)

DETECT_RUNS = Table(
    "detect_runs",
    (("run_at", "TIMESTAMP"), ("params", "VARCHAR"), ("stats", "VARCHAR")),
    "Parameters and counters (e.g. pairs bounded on hot keys) of each detect run, as JSON.",
)

# ---- audit outputs (written by `cibscope audit`) ------------------------------------------

SIGNATURES = Table(
    "signatures",
    (
        ("account_id", "VARCHAR"),
        ("n_posts", "BIGINT"),
        ("n_political", "BIGINT"),
        ("political_share", "DOUBLE"),
        ("first_post_at", "TIMESTAMP"),
        ("last_post_at", "TIMESTAMP"),
        ("first_political_at", "TIMESTAMP"),
        ("n_before_first_political", "BIGINT"),
        ("created_at", "TIMESTAMP"),
        ("age_days_first_post", "DOUBLE"),
        ("age_days_last_post", "DOUBLE"),
        ("age_days_at_reference", "DOUBLE"),
        ("creation_day_count", "BIGINT"),
        ("creation_week_count", "BIGINT"),
        ("creation_day_expected", "DOUBLE"),
        ("creation_day_p", "DOUBLE"),
        ("handle_shape", "VARCHAR"),
        ("creation_day_same_shape", "BIGINT"),
        ("creation_burst", "BOOLEAN"),
        ("hour_profile", "VARCHAR"),
        ("weekday_profile", "VARCHAR"),
        ("peak_hour_utc", "INTEGER"),
        ("inferred_utc_offset", "INTEGER"),
        ("office_hours_share", "DOUBLE"),
        ("office_hours_share_dataset", "DOUBLE"),
        ("weekend_share", "DOUBLE"),
        ("lunch_ratio", "DOUBLE"),
        ("office_hours", "BOOLEAN"),
        ("top_client", "VARCHAR"),
        ("top_client_share", "DOUBLE"),
        ("n_clients", "BIGINT"),
        ("group_id", "INTEGER"),
        ("group_top_client", "VARCHAR"),
        ("group_client_share", "DOUBLE"),
        ("group_client_share_dataset", "DOUBLE"),
        ("client_homogeneous", "BOOLEAN"),
        ("follower_count", "BIGINT"),
        ("following_count", "BIGINT"),
        ("engagement_per_post", "DOUBLE"),
        ("engagement_mismatch", "VARCHAR"),
        ("max_gap_days", "DOUBLE"),
        ("gap_start_at", "TIMESTAMP"),
        ("gap_end_at", "TIMESTAMP"),
        ("posts_after_gap", "BIGINT"),
        ("reactivated", "BOOLEAN"),
        ("changepoint_at", "TIMESTAMP"),
        ("political_share_before", "DOUBLE"),
        ("political_share_after", "DOUBLE"),
        ("days_before_pivot", "DOUBLE"),
        ("changepoint_llr", "DOUBLE"),
        ("repurposed", "BOOLEAN"),
        ("account_language", "VARCHAR"),
        ("top_lang", "VARCHAR"),
        ("top_lang_share", "DOUBLE"),
        ("n_langs", "BIGINT"),
        ("lang_before", "VARCHAR"),
        ("lang_after", "VARCHAR"),
        ("lang_shift_at", "TIMESTAMP"),
        ("lang_shift", "BOOLEAN"),
        ("flags", "VARCHAR"),
        ("evidence", "VARCHAR"),
    ),
    "Per-account IO signatures (ages, creation bursts, rhythm, clients, engagement, dormancy, repurposing, languages); `flags` is a JSON list of the signatures that fired, `evidence` JSON per signature (post ids, file:line, cohorts).",
)

AUDIT_VERDICTS = Table(
    "audit_verdicts",
    (
        ("account_id", "VARCHAR"),
        ("claimed", "BOOLEAN"),
        ("verdict", "VARCHAR"),
        ("score", "DOUBLE"),
        ("flagged", "BOOLEAN"),
        ("group_id", "INTEGER"),
        ("group_size", "INTEGER"),
        ("n_layers", "INTEGER"),
        ("n_evidence", "BIGINT"),
        ("reasons", "VARCHAR"),
    ),
    "Per-account audit verdict (strong / moderate / weak / none / not testable) with the reasons as a JSON list.",
)

CLAIM_RESULTS = Table(
    "claim_results",
    (
        ("claim_id", "VARCHAR"),
        ("kind", "VARCHAR"),
        ("statement", "VARCHAR"),
        ("claimed_by", "VARCHAR"),
        ("status", "VARCHAR"),
        ("stated", "DOUBLE"),
        ("measured", "DOUBLE"),
        ("count", "DOUBLE"),
        ("n", "BIGINT"),
        ("share", "DOUBLE"),
        ("unit", "VARCHAR"),
        ("measured_text", "VARCHAR"),
        ("test", "VARCHAR"),
        ("reason", "VARCHAR"),
        ("method", "VARCHAR"),
        ("note", "VARCHAR"),
        ("rows_label", "VARCHAR"),
        ("params", "VARCHAR"),
    ),
    "Each stated claim answered supported / contradicted / not testable: the figure the statement "
    "gives (stated), the measure (count of n, share; measured = the value the conditions test), the "
    "test in words with its tolerance, why the status follows (reason) and how the measure was computed (method).",
)

CLAIM_ROWS = Table(
    "claim_rows",
    (("claim_id", "VARCHAR"), ("account_id", "VARCHAR"), ("post_id", "VARCHAR"), ("value", "VARCHAR")),
    "The rows behind each measured claim: the accounts (or posts) its count counts, with the value "
    "the measure looked at (followers, age in days, the post's text, ...; claim_results.rows_label names it).",
)

# ---- media-policy outputs (written by `cibscope media-policy --case`) -----------------------

STATE_MEDIA_ACCOUNTS = Table(
    "state_media_accounts",
    (
        ("account_id", "VARCHAR"),
        ("platform", "VARCHAR"),
        ("screen_name", "VARCHAR"),
        ("matched_on", "VARCHAR"),
        ("outlet_id", "VARCHAR"),
        ("outlet", "VARCHAR"),
        ("country", "VARCHAR"),
        ("typology", "VARCHAR"),
        ("policy", "VARCHAR"),
        ("as_of", "VARCHAR"),
        ("decision", "VARCHAR"),
        ("wording", "VARCHAR"),
    ),
    "Accounts of the case that belong to a state or public media outlet (matched on the outlet's handles), "
    "with each policy's decision for the outlet as of `as_of` (ISO date): one row per account, outlet and policy.",
)

INGEST_TABLES = (ACCOUNTS, POSTS, POST_HASHTAGS, POST_URLS, POST_MENTIONS, POST_IMAGES, INGEST_LOG, QUARANTINE)
DETECT_TABLES = (
    EDGES, GROUPS, GROUP_MEMBERS, GROUP_SIGNALS, GROUP_ITEMS, NULL_EDGES, NULL_GROUPS, SCORES, SCORE_CONTRIBUTIONS, EVIDENCE, POST_KEYS,
    DETECT_RUNS,
)
AUDIT_TABLES = (SIGNATURES, AUDIT_VERDICTS, CLAIM_RESULTS, CLAIM_ROWS)
MEDIA_POLICY_TABLES = (STATE_MEDIA_ACCOUNTS,)
ALL_TABLES = (META, *INGEST_TABLES, *DETECT_TABLES, *AUDIT_TABLES, *MEDIA_POLICY_TABLES)
