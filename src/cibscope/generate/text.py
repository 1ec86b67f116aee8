"""Tweet text for the generator: topic vocabularies (package data) and vectorised assembly.

Organic text is drawn word by word from a topic vocabulary mixed with common filler words, so
two organic tweets on the same topic share words but almost never share long runs of them.
Operation text is the opposite: a few master messages copied with small edits (an emoji, a
swapped character, a punctuation change, an extra hashtag), which is what near-duplicate
detection has to find. Chinese is written without spaces, so a detector that splits on
whitespace sees one "word" per clause, and one that tokenises by character sees single
characters; both are realistic traps.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

LANGS = ("en", "zh", "ja", "ko", "es", "id")
L_EN, L_ZH, L_JA, L_KO, L_ES, L_ID = range(6)
# Twitter's tweet_language codes (Indonesian was "in")
TWEET_LANG_CODES = ("en", "zh", "ja", "ko", "es", "in")
_NO_SPACE = np.array([False, True, True, False, False, False])

TOPICS = ("food", "kpop", "sports", "travel", "tech", "daily", "world_politics", "hk_protest", "io_hk", "io_guo")
T_FOOD, T_KPOP, T_SPORTS, T_TRAVEL, T_TECH, T_DAILY, T_WORLD, T_HK, T_IO_HK, T_IO_GUO = range(10)
NONPOLITICAL = (T_FOOD, T_KPOP, T_SPORTS, T_TRAVEL, T_TECH, T_DAILY)

_B62 = np.frombuffer(b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", dtype=np.uint8)
_LIST_STR = pa.list_(pa.string())


@dataclass(frozen=True)
class Vocab:
    raw: dict[str, Any]
    pool: pa.Array  # all topic words, then all filler words
    w_off: np.ndarray  # [topic, lang] offset into pool
    w_n: np.ndarray
    f_off: np.ndarray  # [lang]
    f_n: np.ndarray
    openers: pa.Array
    o_off: np.ndarray
    o_n: np.ndarray
    tags: pa.Array
    t_off: np.ndarray
    t_n: np.ndarray
    emoji: pa.Array


@lru_cache(maxsize=1)
def vocab() -> Vocab:
    """Load the shipped vocabulary once and flatten it into offset tables."""
    raw = json.loads(resources.files("cibscope.generate").joinpath("data/vocab.json").read_text(encoding="utf-8"))
    nt, nl = len(TOPICS), len(LANGS)
    words: list[str] = []
    openers: list[str] = []
    tags: list[str] = []
    w_off = np.zeros((nt, nl), np.int64)
    w_n = np.zeros((nt, nl), np.int64)
    o_off = np.zeros((nt, nl), np.int64)
    o_n = np.zeros((nt, nl), np.int64)
    t_off = np.zeros((nt, nl), np.int64)
    t_n = np.zeros((nt, nl), np.int64)
    general_cache: dict[str, tuple[int, int, int, int]] = {}
    for ti, topic in enumerate(TOPICS):
        for li, lang in enumerate(LANGS):
            entry = raw["topics"][topic].get(lang)
            if entry is None:  # other languages: one general vocabulary shared by all topics
                if lang not in general_cache:
                    g = raw["general"][lang]
                    general_cache[lang] = (len(words), len(g["words"]), len(tags), len(g["hashtags"]))
                    words.extend(g["words"])
                    tags.extend(g["hashtags"])
                w_off[ti, li], w_n[ti, li], t_off[ti, li], t_n[ti, li] = general_cache[lang]
                continue
            w_off[ti, li], w_n[ti, li] = len(words), len(entry["words"])
            words.extend(entry["words"])
            o_off[ti, li], o_n[ti, li] = len(openers), len(entry["openers"])
            openers.extend(entry["openers"])
            t_off[ti, li], t_n[ti, li] = len(tags), len(entry["hashtags"])
            tags.extend(entry["hashtags"])
    f_off = np.zeros(nl, np.int64)
    f_n = np.zeros(nl, np.int64)
    for li, lang in enumerate(LANGS):
        f_off[li], f_n[li] = len(words), len(raw["filler"][lang])
        words.extend(raw["filler"][lang])
    return Vocab(
        raw, pa.array(words), w_off, w_n, f_off, f_n, pa.array(openers or [""]), o_off, o_n,
        pa.array(tags), t_off, t_n, pa.array(raw["emoji"]),
    )


def _take(arr: pa.Array, idx: np.ndarray) -> pa.Array:
    return arr.take(pa.array(np.asarray(idx, dtype=np.int64)))


def const(value: str, n: int) -> pa.Array:
    return pa.repeat(pa.scalar(value, pa.string()), n)


def join(*parts: pa.Array | str) -> pa.Array:
    """Concatenate string arrays (or scalars) element-wise."""
    return pc.binary_join_element_wise(*parts, "")


def optional(mask: np.ndarray, values: pa.Array, prefix: str = " ") -> pa.Array:
    """``prefix + value`` where mask is true, else the empty string."""
    n = len(mask)
    if n == 0:
        return pa.array([], pa.string())
    return pc.if_else(pa.array(mask), join(prefix, values), const("", n))


def _word_runs(rng: np.random.Generator, topic: np.ndarray, lang: np.ndarray, nwords: np.ndarray) -> pa.Array:
    """Runs of Zipf-ish topic words mixed with filler words, joined as the language writes."""
    v = vocab()
    n = len(topic)
    offsets = np.zeros(n + 1, np.int32)
    np.cumsum(nwords, out=offsets[1:])
    row = np.repeat(np.arange(n), nwords)
    u = rng.random(len(row))
    filler = rng.random(len(row)) < 0.35
    t_idx = v.w_off[topic[row], lang[row]] + (v.w_n[topic[row], lang[row]] * u**1.6).astype(np.int64)
    f_idx = v.f_off[lang[row]] + (v.f_n[lang[row]] * u**1.3).astype(np.int64)
    tokens = _take(v.pool, np.where(filler, f_idx, t_idx))
    sep = pc.if_else(pa.array(_NO_SPACE[lang]), const("", n), const(" ", n))
    return pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets), tokens), sep)


_PHRASES_PER_COMBO = 2048


@lru_cache(maxsize=1)
def _phrases() -> tuple[pa.Array, np.ndarray]:
    """A fixed table of short word runs per (topic, language), drawn once (seed-independent).

    Tweets are built from 2-4 of these rather than word by word: three times fewer tokens to
    move, and with 2,048 runs per topic two random tweets rarely share one.
    """
    rng = np.random.default_rng(20190612)
    nt, nl = len(TOPICS), len(LANGS)
    topic = np.repeat(np.arange(nt), nl * _PHRASES_PER_COMBO)
    lang = np.tile(np.repeat(np.arange(nl), _PHRASES_PER_COMBO), nt)
    nwords = np.where(_NO_SPACE[lang], rng.integers(2, 4, len(topic)), rng.integers(2, 5, len(topic)))
    phrases = _word_runs(rng, topic, lang, nwords)
    off = (np.arange(nt)[:, None] * nl + np.arange(nl)[None, :]) * _PHRASES_PER_COMBO
    return phrases, off


def bodies(rng: np.random.Generator, topic: np.ndarray, lang: np.ndarray, *, opener_p: float = 0.3) -> pa.Array:
    """Free text on a topic in a language: optional opener + 2-4 word runs + end punctuation."""
    v = vocab()
    n = len(topic)
    if n == 0:
        return pa.array([], pa.string())
    topic = np.asarray(topic, np.int64)
    lang = np.asarray(lang, np.int64)
    phrases, ph_off = _phrases()
    nospace = _NO_SPACE[lang]
    k = rng.integers(2, 5, n)
    offsets = np.zeros(n + 1, np.int32)
    np.cumsum(k, out=offsets[1:])
    row = np.repeat(np.arange(n), k)
    idx = ph_off[topic[row], lang[row]] + rng.integers(0, _PHRASES_PER_COMBO, len(row))
    sep_small = pa.array(["", " "], pa.string())
    sep = sep_small.take(pa.array((~nospace).astype(np.int8)))
    body = pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets), _take(phrases, idx)), sep)
    has_op = (rng.random(n) < opener_p) & (v.o_n[topic, lang] > 0)
    op_idx = v.o_off[topic, lang] + (rng.random(n) * np.maximum(v.o_n[topic, lang], 1)).astype(np.int64)
    opener = pc.if_else(pa.array(has_op), join(_take(v.openers, op_idx), sep), const("", n))
    pi = rng.integers(0, 6, n) + np.where(nospace, 0, 6)
    return join(opener, body, _take(_PUNCT, pi))


_PUNCT = pa.array(["。", "！", "", "？", "!!", "…", "", "!", ".", "...", "?", " !!"], pa.string())


def hashtag_lists(rng: np.random.Generator, topic: np.ndarray, lang: np.ndarray, k: np.ndarray) -> pa.ListArray:
    """k distinct topic hashtags per row (consecutive entries from a random start)."""
    v = vocab()
    topic = np.asarray(topic, np.int64)
    lang = np.asarray(lang, np.int64)
    k = np.minimum(np.asarray(k, np.int64), v.t_n[topic, lang])
    offsets = np.zeros(len(k) + 1, np.int32)
    np.cumsum(k, out=offsets[1:])
    row = np.repeat(np.arange(len(k)), k)
    j = np.arange(len(row)) - offsets[:-1][row]
    cnt = v.t_n[topic[row], lang[row]]
    start = (rng.random(len(k)) * np.maximum(v.t_n[topic, lang], 1)).astype(np.int64)
    idx = v.t_off[topic[row], lang[row]] + (start[row] + j) % np.maximum(cnt, 1)
    return pa.ListArray.from_arrays(pa.array(offsets), _take(v.tags, idx))


def list_of(offsets: np.ndarray, values: pa.Array) -> pa.ListArray:
    return pa.ListArray.from_arrays(pa.array(np.asarray(offsets, np.int32)), values)


def singletons(values: pa.Array, mask: np.ndarray | None = None) -> pa.ListArray:
    """A one-item list per row (or an empty list where mask is false)."""
    if mask is None:
        mask = np.ones(len(values), bool)
    n = len(mask)
    offsets = np.zeros(n + 1, np.int32)
    np.cumsum(mask, out=offsets[1:])
    return list_of(offsets, values if len(values) == int(offsets[-1]) else values.filter(pa.array(mask)))


def empty_lists(n: int) -> pa.ListArray:
    return list_of(np.zeros(n + 1, np.int32), pa.array([], pa.string()))


def hashtag_text(lists: pa.ListArray) -> pa.Array:
    """'#a #b' for each row's hashtag list ('' for none)."""
    vals = lists.flatten()
    tagged = join("#", vals) if len(vals) else vals
    offs = lists.offsets
    return pc.binary_join(pa.ListArray.from_arrays(offs, tagged), " ")


def tco(rng: np.random.Generator, n: int) -> pa.Array:
    """Fresh t.co short links (every tweet gets its own, as on Twitter)."""
    if n == 0:
        return pa.array([], pa.string())
    chars = _B62[rng.integers(0, 62, size=(n, 10))]
    raw = np.ascontiguousarray(chars).view("S10").ravel()
    return join("https://t.co/", pa.array(raw, pa.binary()).cast(pa.string()))


def base36(rng: np.random.Generator, n: int, width: int) -> pa.Array:
    if n == 0:
        return pa.array([], pa.string())
    chars = _B62[rng.integers(0, 36, size=(n, width))]
    return pa.array(np.ascontiguousarray(chars).view(f"S{width}").ravel(), pa.binary()).cast(pa.string())


def emoji(rng: np.random.Generator, n: int) -> pa.Array:
    v = vocab()
    return _take(v.emoji, rng.integers(0, len(v.emoji), n))


# ---- copy-paste masters and their edited copies (Python: there are few masters) ----------


def _words(rng: np.random.Generator, topic: int, lang: int, k: int) -> list[str]:
    v = vocab()
    off, cnt = int(v.w_off[topic, lang]), int(v.w_n[topic, lang])
    return [v.pool[off + int(cnt * rng.random() ** 1.3)].as_py() for _ in range(k)]


def master_text(rng: np.random.Generator, topic: int, lang: int) -> str:
    """One operation message: a slogan-like sentence in the operation's language."""
    v = vocab()
    o_off, o_n = int(v.o_off[topic, lang]), int(v.o_n[topic, lang])
    opener = v.openers[o_off + int(rng.integers(0, o_n))].as_py() if o_n else ""
    if _NO_SPACE[lang]:
        a = "".join(_words(rng, topic, lang, int(rng.integers(3, 6))))
        b = "".join(_words(rng, topic, lang, int(rng.integers(3, 6))))
        c = "".join(_words(rng, topic, lang, int(rng.integers(2, 5))))
        return f"{opener}{a}，{b}，{c}！"
    a = " ".join(_words(rng, topic, lang, int(rng.integers(4, 8))))
    b = " ".join(_words(rng, topic, lang, int(rng.integers(3, 7))))
    return f"{opener} {a}. {b}!"


_SWAP_ZH = {"！": "!", "，": ",", "。": ".", "？": "?"}
_SIMILAR = "的了是在有人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处理府研"


def variants(rng: np.random.Generator, master: str, lang: int, k: int, tags: list[str]) -> list[str]:
    """k copies of a master with small edits, as copy-paste operators make them."""
    v = vocab()
    emo = v.raw["emoji"]
    out = []
    for i in range(k):
        s = master
        n_edits = 0 if i == 0 else int(rng.integers(1, 3))
        for _ in range(n_edits):
            op = int(rng.integers(0, 6))
            if op == 0:  # trailing emoji
                s = s + ("" if _NO_SPACE[lang] else " ") + emo[int(rng.integers(0, len(emo)))]
            elif op == 1 and len(s) > 6:  # one character replaced
                p = int(rng.integers(1, len(s) - 1))
                if _NO_SPACE[lang]:
                    s = s[:p] + _SIMILAR[int(rng.integers(0, len(_SIMILAR)))] + s[p + 1 :]
                else:
                    s = s[:p] + "abcdefghijklmnopqrstuvwxyz"[int(rng.integers(0, 26))] + s[p + 1 :]
            elif op == 2:  # full-width/half-width punctuation swap
                for a, b in _SWAP_ZH.items():
                    if a in s and rng.random() < 0.7:
                        s = s.replace(a, b)
                if not _NO_SPACE[lang]:
                    s = s.replace("!", "!!!", 1) if rng.random() < 0.5 else s.rstrip("!.") + "."
            elif op == 3 and tags:  # an extra hashtag
                s = s + " #" + tags[int(rng.integers(0, len(tags)))]
            elif op == 4 and len(s) > 8:  # one character dropped
                p = int(rng.integers(1, len(s) - 1))
                s = s[:p] + s[p + 1 :]
            else:  # a prefix
                pre = ["【转发】", "转：", "", "！"] if _NO_SPACE[lang] else ["", "RT ", "Must read: ", "Share! "]
                s = pre[int(rng.integers(0, len(pre)))] + s
        out.append(s)
    return out


def lists_to_pylist_strings(lists: pa.ListArray, quoted: np.ndarray) -> pa.Array:
    """Format lists as the IO archive does: ``[a, b]`` or Python-repr ``['a', 'b']``.

    Both styles occur in real releases. In the repr style numeric ids stay unquoted
    (``[2876420003]``) because they were ints, while hashed ids are quoted strings. Most rows
    have no items, so only the non-empty lists are formatted and the rest get ``[]``.
    """
    n = len(lists)
    if n == 0:
        return pa.array([], pa.string())
    lengths = pc.list_value_length(lists).to_numpy(zero_copy_only=False)
    nz = np.flatnonzero(lengths > 0)
    if len(nz) == 0:
        return const("[]", n)
    sub = lists.take(pa.array(nz))
    vals = sub.flatten()
    offs = sub.offsets
    out = join("[", pc.binary_join(pa.ListArray.from_arrays(offs, vals), ", "), "]")
    q = quoted[nz]
    if q.any():
        numeric = pc.match_substring_regex(vals, "^[0-9]+$")
        qvals = pc.if_else(numeric, vals, join("'", vals, "'"))
        reprs = join("[", pc.binary_join(pa.ListArray.from_arrays(offs, qvals), ", "), "]")
        out = pc.if_else(pa.array(q), reprs, out)
    idx = np.zeros(n, np.int64)
    idx[nz] = np.arange(1, len(nz) + 1)
    return pa.concat_arrays([pa.array(["[]"], pa.string()), out]).take(pa.array(idx))
