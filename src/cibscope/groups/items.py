"""A group's defining items: what the group pushes that the rest of the case does not.

For every key a group's members acted on (a retweeted post, a link, a hashtag, a text cluster,
...), ``members`` of the group and ``accounts`` in all acted on it. Drawing ``accounts`` accounts
at random from the ``N`` accounts active in the layer, of which ``K`` are members, the number of
members among them is hypergeometric; its upper tail ``P(X >= members)`` (computed as the
binomial tail with ``p = K / N``: drawing with replacement, slightly conservative) says how much
the key is the group's own. A hashtag 100 of 108 members posted and 5 other accounts did is the group's
(p ~ 1e-200); a celebrity's post that 40 members and 3,000 others retweeted is not. Items are
ranked by that p-value (then by members, layer and key), and the evidence shown for a group and
its accounts starts with its defining items, so what a reader sees first is about the operation.

Only post-level layers whose keys are items count (not time bins, nor fast_retweet, which
repeats co_retweet's keys, nor account attributes such as creation days).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
from scipy import special

from ..case import engine_or_connection
from ..engine import Engine

if TYPE_CHECKING:
    from ..case import Case

__all__ = ["ITEM_LAYERS", "defining_items"]

#: layers whose keys are items a group can push
ITEM_LAYERS: tuple[str, ...] = (
    "co_retweet",
    "co_quote",
    "co_reply",
    "co_link",
    "co_domain",
    "co_hashtag",
    "hashtag_sequence",
    "co_mention",
    "near_duplicate",
)


def defining_items(
    db: Case | Engine, membership: Mapping[str, int], tables: Mapping[str, str], *, top: int = 10, alpha: float = 0.01
) -> pa.Table:
    """The ``top`` defining items of every group, from the layers' trace tables.

    ``tables``: layer -> name of a table with the layer's actions (``account_id, key, item``;
    the builder's kept trace tables). Returns (group_id, rank, layer, key, item, members,
    accounts, log10_p, actions), ranked within each group from 1; keys at least 2 members acted on.
    """
    eng = engine_or_connection(db)
    empty = pa.table({
        "group_id": pa.array([], pa.int32()), "rank": pa.array([], pa.int32()), "layer": pa.array([], pa.string()),
        "key": pa.array([], pa.string()), "item": pa.array([], pa.string()), "members": pa.array([], pa.int64()),
        "accounts": pa.array([], pa.int64()), "log10_p": pa.array([], pa.float64()), "actions": pa.array([], pa.int64()),
    })
    layers = [l for l in ITEM_LAYERS if l in tables]
    if not membership or not layers or top <= 0:
        return empty
    mem = pa.table({"account_id": pa.array(list(membership), pa.string()),
                    "group_id": pa.array(list(membership.values()), pa.int32())})
    eng.register_arrow("_cib_items_mem", mem)
    parts: list[pa.Table] = []
    try:
        for layer in layers:
            t = tables[layer]
            # one pass over the layer's actions: (account, key, group) with the action count
            eng.materialise(
                "_cib_items_ak", "SELECT x.account_id, x.key, m.group_id, count(*) AS n "
                f"FROM {t} AS x LEFT JOIN _cib_items_mem AS m ON m.account_id = x.account_id GROUP BY 1, 2, 3"
            )
            rows = eng.fetch_arrow(
                """
                WITH g AS (SELECT group_id, key, count(*) AS members, sum(n) AS actions FROM _cib_items_ak
                           WHERE group_id IS NOT NULL GROUP BY 1, 2 HAVING count(*) >= 2),
                m AS (SELECT a.key, count(*) AS accounts FROM _cib_items_ak a SEMI JOIN g ON g.key = a.key GROUP BY 1),
                k_group AS (SELECT group_id, count(DISTINCT account_id) AS k FROM _cib_items_ak WHERE group_id IS NOT NULL GROUP BY 1),
                n_layer AS (SELECT count(DISTINCT account_id) AS n FROM _cib_items_ak)
                SELECT g.group_id, g.key, g.members, m.accounts, kg.k, nl.n, g.actions
                FROM g JOIN m ON m.key = g.key JOIN k_group kg ON kg.group_id = g.group_id, n_layer nl
                ORDER BY g.group_id, g.key
                """
            )
            if rows.num_rows:
                parts.append(rows.append_column("layer", pa.array([layer] * rows.num_rows, pa.string())))
    finally:
        eng.drop("_cib_items_ak")
        eng.unregister("_cib_items_mem")
    if not parts:
        return empty
    t = pa.concat_tables(parts)
    members = t.column("members").to_numpy().astype(np.int64)
    accounts = t.column("accounts").to_numpy().astype(np.int64)
    k = t.column("k").to_numpy().astype(np.int64)
    n = t.column("n").to_numpy().astype(np.int64)
    # log10 P(X >= members) for X ~ Binomial(accounts, k / n): the hypergeometric tail with
    # replacement, slightly larger (conservative) and a thousand times faster to compute
    # (regularised incomplete beta; scipy's hypergeom.logsf took 8 s for 37,000 keys)
    tail = special.betainc(members.astype(float), (accounts - members + 1).astype(float), np.clip(k / np.maximum(n, 1), 0.0, 1.0))
    logp = np.log10(np.clip(tail, 1e-300, 1.0))
    actions = t.column("actions").to_numpy().astype(np.int64)
    gid = t.column("group_id").to_numpy()
    lay = t.column("layer").to_pylist()
    key = t.column("key").to_pylist()
    cut = float(np.log10(alpha / max(t.num_rows, 1)))
    defining = logp <= cut
    order = sorted(
        range(t.num_rows),
        key=lambda i: (int(gid[i]), not defining[i], -int(actions[i]) if defining[i] else 0, float(logp[i]), -int(members[i]), lay[i], key[i]),
    )
    keep: list[int] = []
    rank: list[int] = []
    cur, r = None, 0
    for i in order:
        g = int(gid[i])
        if g != cur:
            cur, r = g, 0
        if r < top:
            r += 1
            keep.append(i)
            rank.append(r)
    # the items' labels, for the kept keys only (near_duplicate's is a text: read just those)
    labels: dict[tuple[str, str], str] = {}
    for layer in layers:
        want = sorted({key[i] for i in keep if lay[i] == layer})
        if not want:
            continue
        eng.register_arrow("_cib_items_keys", pa.table({"key": pa.array(want, pa.string())}))
        try:
            for kk, item in eng.execute(
                f"SELECT x.key, min(x.item) FROM {tables[layer]} AS x SEMI JOIN _cib_items_keys AS w ON w.key = x.key GROUP BY 1"
            ).fetchall():
                labels[(layer, kk)] = item
        finally:
            eng.unregister("_cib_items_keys")
    idx = pa.array(keep, pa.int64())
    return pa.table({
        "group_id": pa.array(gid[keep].astype(np.int32), pa.int32()),
        "rank": pa.array(rank, pa.int32()),
        "layer": t.column("layer").take(idx),
        "key": t.column("key").take(idx).cast(pa.string()),
        "item": pa.array([labels.get((lay[i], key[i])) or key[i] for i in keep], pa.string()),
        "members": pa.array(members[keep], pa.int64()),
        "accounts": pa.array(accounts[keep], pa.int64()),
        "log10_p": pa.array(np.round(logp[keep], 6), pa.float64()),
        "actions": pa.array(actions[keep], pa.int64()),
    })
