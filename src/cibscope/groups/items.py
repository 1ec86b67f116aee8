"""A group's defining items: what the group pushes that the rest of the case does not.

For every key a group's members acted on (a retweeted post, a link, a hashtag, a text cluster,
...), ``members`` of the group and ``accounts`` in all acted on it. Drawing ``accounts`` accounts
at random from the ``N`` accounts active in the layer, of which ``K`` are members, the number of
members among them is hypergeometric; its upper tail ``P(X >= members)`` says how much the key is
the group's own. A hashtag 100 of 108 members posted and 5 other accounts did is the group's
(p ~ 1e-200); a celebrity's post that 40 members and 3,000 others retweeted is not. Items are
ranked by that p-value (then by members, layer and key), and the evidence shown for a group and
its accounts starts with its defining items, so what a reader sees first is about the operation.

Only post-level layers whose keys are items count (not time bins, nor fast_retweet, which
repeats co_retweet's keys, nor account attributes such as creation days).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pyarrow as pa
from scipy import stats

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
    con: object, membership: Mapping[str, int], tables: Mapping[str, str], *, top: int = 10, alpha: float = 0.01
) -> pa.Table:
    """The ``top`` defining items of every group, from the layers' trace tables.

    ``tables``: layer -> name of a table with the layer's actions (``account_id, key, item``;
    the builder's kept trace tables). Returns (group_id, rank, layer, key, item, members,
    accounts, log10_p, actions), ranked within each group from 1; keys at least 2 members acted on.
    """
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
    con.register("_cib_items_mem", mem)  # type: ignore[attr-defined]
    parts: list[pa.Table] = []
    try:
        for layer in layers:
            t = tables[layer]
            rows = con.sql(  # type: ignore[attr-defined]
                f"""
                WITH a AS (SELECT DISTINCT account_id, key FROM {t}),
                n_layer AS (SELECT count(DISTINCT account_id) AS n FROM a),
                k_group AS (SELECT m.group_id, count(DISTINCT a.account_id) AS k FROM (SELECT DISTINCT account_id FROM a) a
                            JOIN _cib_items_mem m ON m.account_id = a.account_id GROUP BY 1),
                g AS (SELECT m.group_id, a.key, count(*) AS members FROM a JOIN _cib_items_mem m ON m.account_id = a.account_id
                      GROUP BY 1, 2 HAVING count(*) >= 2),
                act AS (SELECT m.group_id, x.key, count(*) AS actions FROM {t} x JOIN _cib_items_mem m ON m.account_id = x.account_id
                        SEMI JOIN g ON g.key = x.key AND g.group_id = m.group_id GROUP BY 1, 2),
                m AS (SELECT a.key, count(*) AS accounts FROM a SEMI JOIN g ON g.key = a.key GROUP BY 1),
                it AS (SELECT x.key, min(x.item) AS item FROM {t} x SEMI JOIN g ON g.key = x.key GROUP BY 1)
                SELECT g.group_id, g.key, coalesce(it.item, g.key) AS item, g.members, m.accounts, kg.k, nl.n, act.actions
                FROM g JOIN m ON m.key = g.key JOIN k_group kg ON kg.group_id = g.group_id
                JOIN act ON act.group_id = g.group_id AND act.key = g.key
                LEFT JOIN it ON it.key = g.key, n_layer nl
                ORDER BY g.group_id, g.key
                """
            ).to_arrow_table()
            if rows.num_rows:
                parts.append(rows.append_column("layer", pa.array([layer] * rows.num_rows, pa.string())))
    finally:
        con.unregister("_cib_items_mem")  # type: ignore[attr-defined]
    if not parts:
        return empty
    t = pa.concat_tables(parts)
    members = t.column("members").to_numpy().astype(np.int64)
    accounts = t.column("accounts").to_numpy().astype(np.int64)
    k = t.column("k").to_numpy().astype(np.int64)
    n = t.column("n").to_numpy().astype(np.int64)
    # log10 P(X >= members), X ~ Hypergeom(N = n, K = k, draws = accounts)
    logp = stats.hypergeom.logsf(members - 1, n, k, accounts) / np.log(10.0)
    logp = np.minimum(np.nan_to_num(logp, nan=0.0, neginf=-1e300), 0.0)
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
    idx = pa.array(keep, pa.int64())
    return pa.table({
        "group_id": pa.array(gid[keep].astype(np.int32), pa.int32()),
        "rank": pa.array(rank, pa.int32()),
        "layer": t.column("layer").take(idx),
        "key": t.column("key").take(idx).cast(pa.string()),
        "item": t.column("item").take(idx).cast(pa.string()),
        "members": pa.array(members[keep], pa.int64()),
        "accounts": pa.array(accounts[keep], pa.int64()),
        "log10_p": pa.array(np.round(logp[keep], 6), pa.float64()),
        "actions": pa.array(actions[keep], pa.int64()),
    })
