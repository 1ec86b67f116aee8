"""Disclosure packages: publish a finding the way platforms publish takedowns.

>>> r = disclose("case.duckdb", accounts="flagged", out="pkg/")     # doctest: +SKIP
>>> r.files["tweets"], r.n_hashed                                   # doctest: +SKIP

Writes, into ``out``, the accounts and their posts in the format of Twitter's Information
Operations archive (:mod:`.archive`: a users CSV of 10 columns and a tweets CSV of 31, hashed
versions), a ``README.md`` (what is in the package: counts, what was hashed and dropped, the
evidence summary of the detection run) and ``SHA256SUMS`` (``sha256sum -c SHA256SUMS`` checks
every file). ``cibscope ingest pkg/`` reads the package back (the README and the checksums are
skipped), so anyone can check the finding with the same tools.

Hashing: accounts with fewer than ``threshold`` followers (5,000, Twitter's rule), or with no
follower count, are published as one hash in ``userid``, ``user_screen_name`` and
``user_display_name``, and every reference to them (``retweet_userid``,
``in_reply_to_userid``, ``user_mentions``) carries the same hash. The hash is SHA-256 of a
per-release salt and the id: ``salt`` when given; otherwise derived from the case's input files
(their content hashes), the accounts disclosed and the threshold, so the same case and
parameters give byte-identical packages. The salt is never written into the package. Anyone who
has the salt and a candidate id can test it: give a secret ``salt`` for a real release.

Re-identification (docs/disclosure.md): hashing ids and names is not anonymisation. Tweet
texts keep the handles they mention (as in the real archives), bios, locations and profile
URLs stay, and times plus texts can be searched on the platform. ``drop_texts`` empties the
texts of hashed accounts (``hashed``) or all texts (``all``).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from ..case import Case, engine_of, open_case
from ..errors import CaseStateError, InputError, ParameterError, UnknownAccountError
from ..params import Interval, Options, validate
from ..progress import Progress, step
from . import archive
from .readme import readme_text

if TYPE_CHECKING:
    from ..engine.base import Engine

__all__ = ["DisclosureResult", "disclose", "resolve_accounts", "default_salt", "DEFAULT_THRESHOLD", "DROP_TEXTS"]

#: Twitter's rule: accounts with fewer followers are hashed
DEFAULT_THRESHOLD = 5000
DROP_TEXTS = ("none", "hashed", "all")
_TEMP = ("_dc_acc", "_dc_real", "_dc_handle", "_dc_posts")


@dataclass
class DisclosureResult:
    out_dir: Path
    files: dict[str, Path] = field(default_factory=dict)  # "users", "tweets" (or per platform), "readme", "checksums"
    n_accounts: int = 0
    n_hashed: int = 0
    n_tweets: int = 0
    platforms: list[str] = field(default_factory=list)
    salt_given: bool = False
    summary: dict[str, Any] = field(default_factory=dict)


def resolve_accounts(case: Case | Engine, accounts: str | Iterable[str]) -> list[str]:
    """The accounts to disclose: ``"flagged"`` (flagged by the last detection run), ``"all"``
    (every account of the case), a file with one id per line (blank lines and ``#`` comments
    skipped), a comma-separated string of ids, or a list of ids. Every id must be in the case."""
    engine = engine_of(case)
    if isinstance(accounts, str):
        key = accounts.strip()
        if key == "flagged":
            if not engine.execute("SELECT count(*) FROM detect_runs").fetchall()[0][0]:
                raise CaseStateError("no detection run in this case: nothing is flagged yet", hint="run `cibscope detect --case FILE` first, or give --accounts LIST")
            ids = [r[0] for r in engine.execute("SELECT account_id FROM scores WHERE flagged ORDER BY 1").fetchall()]
            if not ids:
                raise CaseStateError("no account is flagged in this case", hint="give the accounts to disclose: --accounts FILE or --accounts id1,id2")
            return ids
        if key == "all":
            return [r[0] for r in engine.execute(
                "SELECT account_id FROM accounts UNION SELECT account_id FROM posts ORDER BY 1").fetchall()]
        p = Path(key)
        if p.is_dir():
            raise InputError("is a folder, not a file of account ids", file=key, hint="--accounts flagged, all, a file of ids (one a line) or id1,id2,...")
        if p.is_file():
            try:
                text = p.read_text(encoding="utf-8")
            except UnicodeDecodeError as e:
                raise InputError(f"not UTF-8 text ({e.reason} at byte {e.start})", file=key, hint="save the list of account ids as UTF-8") from e
            ids = []
            for line in text.splitlines():
                line = line.strip()
                if line and not line.startswith("#"):
                    ids.append(line)
        else:
            ids = [x.strip() for x in key.split(",") if x.strip()]
    else:
        ids = [str(x).strip() for x in accounts if str(x).strip()]
    if not ids:
        raise ParameterError("no accounts to disclose", hint="--accounts flagged, all, a file of ids or id1,id2,...")
    import pyarrow as pa

    engine.register_arrow("_dc_ids", pa.table({"account_id": pa.array(sorted(set(ids)), pa.string())}))
    try:
        missing = [r[0] for r in engine.execute(
            "SELECT account_id FROM _dc_ids WHERE account_id NOT IN (SELECT account_id FROM accounts) "
            "AND account_id NOT IN (SELECT account_id FROM posts) ORDER BY 1").fetchall()]
    finally:
        engine.unregister("_dc_ids")
    if missing:
        raise UnknownAccountError(
            f"{len(missing)} account(s) to disclose are not in the case: {', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}",
            hint="give account ids as the case stores them (OUT/accounts.csv lists them)",
        )
    return sorted(set(ids))


def default_salt(case: Case | Engine, accounts: list[str], threshold: int) -> str:
    """The salt used when none is given: SHA-256 of the case's input files (content hashes and
    rows, in order), the disclosed accounts and the threshold. Deterministic, and unknown to
    anyone without the input files; different for another set of accounts."""
    engine = engine_of(case)
    h = hashlib.sha256(b"cibscope-disclose/1\x1f")
    for digest, rows in engine.execute(
        "SELECT coalesce(content_hash, ''), rows_read FROM ingest_log ORDER BY content_hash, rows_read, source_file"
    ).fetchall():
        h.update(f"{digest}:{rows}\x1f".encode())
    for a in accounts:
        h.update(a.encode("utf-8") + b"\x1e")
    h.update(str(int(threshold)).encode())
    return h.hexdigest()


def disclose(
    case: str | os.PathLike[str] | Case,
    *,
    out: str | os.PathLike[str],
    accounts: str | Iterable[str] = "flagged",
    threshold: int = DEFAULT_THRESHOLD,
    salt: str | None = None,
    drop_texts: str = "none",
    name: str | None = None,
    platform: str | None = None,
    progress: Progress | None = None,
) -> DisclosureResult:
    """Write the disclosure package of ``accounts`` into ``out`` (see the module docstring).

    threshold : accounts with fewer followers (or none known) are hashed.
    salt : the release's secret; default derived from the case (:func:`default_salt`).
    drop_texts : ``none``, ``hashed`` (texts of hashed accounts emptied) or ``all``.
    name : file name prefix (``<name>_users_csv_hashed.csv``); default the case file's stem.
    platform : only this platform's accounts. A case of several platforms without it gets one
        pair of files per platform (``<name>_<platform>_...``): the format has no platform column.
    """
    validate("disclose", {"threshold": Interval(int, 0, None), "drop_texts": Options(DROP_TEXTS)},
             {"threshold": threshold, "drop_texts": drop_texts})
    if salt is not None and not salt:
        raise ParameterError("--salt must not be empty")
    own = not isinstance(case, Case)
    c = open_case(case, create=False, read_only=True) if own else case  # type: ignore[arg-type]
    try:
        c.require_full_read("disclose")
        return _disclose(c, Path(out), accounts, int(threshold), salt, drop_texts, name, platform, progress)
    finally:
        try:
            for t in _TEMP:
                c.engine.execute(f"DROP TABLE IF EXISTS {t}")
        finally:
            if own:
                c.close()


def _disclose(
    c: Case, out: Path, accounts: str | Iterable[str], threshold: int, salt: str | None, drop_texts: str,
    name: str | None, platform: str | None, progress: Progress | None,
) -> DisclosureResult:
    engine = c.engine
    ids = resolve_accounts(engine, accounts)
    used_salt = salt if salt is not None else default_salt(engine, ids, threshold)
    stem = name or Path(c.path).stem or "disclosure"
    if not stem.replace("_", "").replace("-", "").isalnum():
        raise ParameterError(f"--name must be letters, digits, '_' or '-', got {stem!r}")
    from ..platforms import ACCOUNT_PLATFORM_SQL

    import pyarrow as pa

    engine.register_arrow("_dc_ids", pa.table({"account_id": pa.array(ids, pa.string())}))
    try:
        plats = [str(r[0]) for r in engine.execute(
            f"SELECT DISTINCT x.platform FROM ({ACCOUNT_PLATFORM_SQL}) x JOIN _dc_ids USING (account_id) ORDER BY 1").fetchall()]
    finally:
        engine.unregister("_dc_ids")
    if platform is not None:
        if platform not in plats:
            raise ParameterError(f"no disclosed account is on platform {platform!r}; their platforms: {', '.join(plats) or 'none'}")
        plats = [platform]
    tags = [stem if len(plats) == 1 else f"{stem}_{plat}" for plat in plats]
    planned = {f"{t}_{kind}_csv_hashed.csv" for t in tags for kind in ("users", "tweets")}
    stale = sorted(p.name for p in out.glob("*_csv_hashed.csv") if p.name not in planned) if out.is_dir() else []
    if stale:  # README and SHA256SUMS would describe only the new files, and `cibscope ingest` would read all of them
        raise InputError(
            f"the folder holds another package's files: {', '.join(stale[:4])}{' ...' if len(stale) > 4 else ''}",
            file=str(out), hint="write the package to an empty folder, or remove those files",
        )
    out.mkdir(parents=True, exist_ok=True)
    res = DisclosureResult(out_dir=out, platforms=plats, salt_given=salt is not None)
    per_platform: list[dict[str, Any]] = []
    for plat, tag in zip(plats, tags, strict=True):
        with step(progress, f"disclose: {plat}"):
            archive.prepare(engine, ids, threshold=threshold, salt=used_salt, platform=plat if (len(plats) > 1 or platform) else None)
            bad = engine.execute(
                "SELECT count(*), min(post_id) FROM _dc_posts WHERE NOT regexp_full_match(post_id, '[0-9]{1,20}') "
                "OR TRY_CAST(post_id AS UBIGINT) IS NULL"
            ).fetchall()[0]
            if bad[0]:
                raise InputError(
                    f"{bad[0]:,} post(s) of the disclosed accounts have ids that are not 64-bit integers (e.g. {bad[1]!r}): "
                    "the IO-archive format needs numeric tweet ids",
                    hint="disclose the platform whose posts have numeric ids (--platform), or re-ingest with numeric post ids",
                )
            users = out / f"{tag}_users_csv_hashed.csv"
            tweets = out / f"{tag}_tweets_csv_hashed.csv"
            n_users = archive.write_csv_all_quoted(engine, archive.users_sql(), archive.USER_COLUMNS, users)
            n_tweets = archive.write_csv_all_quoted(engine, archive.tweets_sql(used_salt, drop_text=drop_texts), archive.TWEET_COLUMNS, tweets)
            stats = _stats(engine, drop_texts)
            stats.update(platform=plat, users_file=users.name, tweets_file=tweets.name, users=n_users, tweets=n_tweets)
            per_platform.append(stats)
            key = "" if len(plats) == 1 else f"_{plat}"
            res.files[f"users{key}"] = users
            res.files[f"tweets{key}"] = tweets
            res.n_accounts += n_users
            res.n_hashed += int(stats["hashed_accounts"])
            res.n_tweets += n_tweets
    evidence = _evidence_summary(engine, ids, drop_texts)
    res.summary = {"platforms": per_platform, "evidence": evidence}
    readme = out / "README.md"
    readme.write_text(
        readme_text(
            case_name=Path(c.path).name, per_platform=per_platform, evidence=evidence, threshold=threshold,
            salt_given=salt is not None, drop_texts=drop_texts, n_requested=len(ids),
            selection=accounts if isinstance(accounts, str) and accounts.strip() in ("flagged", "all") else "a list",
        ),
        encoding="utf-8",
    )
    res.files["readme"] = readme
    sums = out / "SHA256SUMS"
    lines = []
    for p in sorted(res.files.values(), key=lambda q: q.name):
        lines.append(f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}\n")
    sums.write_text("".join(lines), encoding="utf-8")
    res.files["checksums"] = sums
    return res


def _stats(engine: Engine, drop_texts: str) -> dict[str, Any]:
    """Counts of one platform's files (after :func:`archive.prepare`), for the README."""
    acc = engine.execute("SELECT count(*), count(*) FILTER (WHERE hashed) FROM _dc_acc").fetchall()[0]
    p = engine.execute(
        "SELECT count(*), min(created_at), max(created_at), count(*) FILTER (WHERE kind = 'repost'), "
        "count(*) FILTER (WHERE kind = 'reply'), count(*) FILTER (WHERE kind = 'quote'), "
        "count(*) FILTER (WHERE TRY_CAST(post_id AS UBIGINT) IS NOT NULL AND "
        "(TRY_CAST(post_id AS UBIGINT) >> 22) + 1288834974657 >= epoch_ms(date_trunc('minute', created_at)) AND "
        "(TRY_CAST(post_id AS UBIGINT) >> 22) + 1288834974657 < epoch_ms(date_trunc('minute', created_at)) + 60000) "
        "FROM _dc_posts"
    ).fetchall()[0]
    refs = engine.execute(
        "SELECT count(*) FILTER (WHERE repost_of_account IS NOT NULL), "
        "count(*) FILTER (WHERE repost_of_account IS NOT NULL AND repost_of_account NOT IN (SELECT account_id FROM _dc_real)), "
        "count(*) FILTER (WHERE reply_to_account IS NOT NULL), "
        "count(*) FILTER (WHERE reply_to_account IS NOT NULL AND reply_to_account NOT IN (SELECT account_id FROM _dc_real)) "
        "FROM _dc_posts"
    ).fetchall()[0]
    ment = engine.execute(
        "SELECT count(*) FROM post_mentions WHERE post_id IN (SELECT post_id FROM _dc_posts)"
    ).fetchall()[0]
    dropped = engine.execute(
        "SELECT (SELECT count(*) FROM post_urls WHERE url_raw IS NULL AND post_id IN (SELECT post_id FROM _dc_posts)), "
        "(SELECT count(*) FROM post_images WHERE post_id IN (SELECT post_id FROM _dc_posts))"
    ).fetchall()[0]
    texts = {"none": 0, "all": int(p[0]), "hashed": int(engine.execute(
        "SELECT count(*) FROM _dc_posts WHERE account_id IN (SELECT account_id FROM _dc_acc WHERE hashed)").fetchall()[0][0])}[drop_texts]
    return {
        "accounts": int(acc[0]), "hashed_accounts": int(acc[1]), "posts": int(p[0]),
        "first": None if p[1] is None else p[1].strftime("%Y-%m-%d %H:%M"),
        "last": None if p[2] is None else p[2].strftime("%Y-%m-%d %H:%M"),
        "reposts": int(p[3]), "replies": int(p[4]), "quotes": int(p[5]), "snowflake": int(p[6]),
        "retweet_refs": int(refs[0]), "retweet_refs_hashed": int(refs[1]),
        "reply_refs": int(refs[2]), "reply_refs_hashed": int(refs[3]), "mentions": int(ment[0]),
        "domains_without_url": int(dropped[0]), "images": int(dropped[1]), "texts_dropped": texts,
    }


#: layers whose shared items name no account and hold no text (safe to list in the README)
_PUBLIC_ITEM_LAYERS = (
    "co_retweet", "co_quote", "co_link", "co_domain", "co_hashtag", "hashtag_sequence", "co_image", "fast_retweet",
    "sync_activity", "xp_link", "xp_domain", "xp_hashtag", "xp_image",
)
_TEXT_ITEM_LAYERS = ("near_duplicate", "xp_text")


def _evidence_summary(engine: Engine, ids: list[str], drop_texts: str, max_groups: int = 20, max_items: int = 5) -> dict[str, Any]:
    """The detection run's evidence about the disclosed accounts: layers (edges and evidence
    pairs among them), groups holding them (size, members disclosed, layers, span, top shared
    items). Items that name accounts or quote texts (co_mention, co_reply, profiles; texts
    when they are dropped) are left out."""
    if not engine.execute("SELECT count(*) FROM detect_runs").fetchall()[0][0]:
        return {"detected": False}
    import pyarrow as pa

    engine.register_arrow("_dc_ids", pa.table({"account_id": pa.array(ids, pa.string())}))
    try:
        flagged = engine.execute("SELECT count(*) FROM scores WHERE flagged AND account_id IN (SELECT account_id FROM _dc_ids)").fetchall()[0][0]
        layers = engine.execute(
            "SELECT e.layer, count(*), (SELECT count(*) FROM evidence v WHERE v.layer = e.layer AND v.account_a IN (SELECT account_id FROM _dc_ids) "
            "AND v.account_b IN (SELECT account_id FROM _dc_ids)) FROM edges e WHERE e.account_a IN (SELECT account_id FROM _dc_ids) "
            "AND e.account_b IN (SELECT account_id FROM _dc_ids) GROUP BY 1 ORDER BY 2 DESC, 1"
        ).fetchall()
        groups = engine.execute(
            "SELECT g.group_id, g.size, count(*) AS n, g.layers, g.start_at, g.end_at FROM groups g JOIN group_members m USING (group_id) "
            "WHERE m.account_id IN (SELECT account_id FROM _dc_ids) GROUP BY ALL ORDER BY n DESC, g.group_id"
        ).fetchall()
        shown = list(_PUBLIC_ITEM_LAYERS) + (list(_TEXT_ITEM_LAYERS) if drop_texts == "none" else [])
        in_list = ", ".join("'" + x + "'" for x in shown)
        items = engine.execute(
            "SELECT m1.group_id, v.layer, v.shared_item, count(*) AS n FROM evidence v "
            "JOIN group_members m1 ON m1.account_id = v.account_a JOIN group_members m2 ON m2.account_id = v.account_b AND m2.group_id = m1.group_id "
            f"WHERE v.layer IN ({in_list}) AND v.shared_item IS NOT NULL AND v.account_a IN (SELECT account_id FROM _dc_ids) "
            "AND v.account_b IN (SELECT account_id FROM _dc_ids) GROUP BY m1.group_id, v.layer, v.shared_item "
            f"QUALIFY row_number() OVER (PARTITION BY m1.group_id ORDER BY count(*) DESC, v.layer, v.shared_item) <= {int(max_items)} "
            "ORDER BY 1, 4 DESC, 2, 3"
        ).fetchall()
        run = engine.execute("SELECT params FROM detect_runs ORDER BY run_at DESC LIMIT 1").fetchall()[0][0]
    finally:
        engine.unregister("_dc_ids")
    by_group: dict[int, list[tuple[str, str, int]]] = {}
    for gid, layer, item, n in items:
        by_group.setdefault(int(gid), []).append((str(layer), str(item), int(n)))
    return {
        "detected": True,
        "flagged": int(flagged),
        "layers": [(str(l), int(n), int(k)) for l, n, k in layers],
        "groups": [
            {"group_id": int(g), "size": int(s), "disclosed": int(n), "layers": layers_json, "start": a, "end": b,
             "items": by_group.get(int(g), [])}
            for g, s, n, layers_json, a, b in groups[:max_groups]
        ],
        "n_groups": len(groups),
        "params": run,
    }
