"""Time for the generator: the calendar, daily rhythms, and snowflake tweet ids.

Everything is vectorised over numpy arrays. Times are integer milliseconds since the Unix
epoch (UTC). Days are integer indices counted from :data:`START` (2017-01-01, a Sunday).

Why snowflakes matter: the IO archive writes ``tweet_time`` at minute precision, and the only
way a reader can recover the second (and so detect co-retweets 5 s apart) is to decode the
tweet id: ``ms = (id >> 22) + 1288834974657``. Every generated id encodes its row's exact time.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

import numpy as np
import pyarrow as pa

TWITTER_EPOCH_MS = 1288834974657
DAY_MS = 86_400_000
START_DATE = date(2017, 1, 1)
END_DATE = date(2019, 10, 1)  # exclusive: data runs to 2019-09-30
START_MS = int(datetime(2017, 1, 1, tzinfo=timezone.utc).timestamp() * 1000)
N_DAYS = (END_DATE - START_DATE).days  # 1003
# 2017-01-01 is a Sunday; Monday = 0 ... Sunday = 6
_START_WEEKDAY = 6

# Calendar strings cover a margin after the end: planted bursts may spill a few minutes past it.
_DAY_STR_MARGIN = 40


def day_of(d: date) -> int:
    """Day index of a calendar date (negative before 2017-01-01)."""
    return (d - START_DATE).days


def weekday(days: np.ndarray) -> np.ndarray:
    """Monday = 0 ... Sunday = 6 for day indices."""
    return (np.asarray(days) + _START_WEEKDAY) % 7


# Hour-of-day weights in *local* time. Index 0 = weekday, 1 = weekend.
def _norm(w: list[float]) -> np.ndarray:
    a = np.asarray(w, dtype=np.float64)
    return a / a.sum()


RHYTHM_ORGANIC = 0  # people: low at night, evening peak
RHYTHM_NIGHT_OWL = 1  # students: late-night peak
RHYTHM_OFFICE = 2  # paid operators: weekdays 09-18 with a lunch dip (ASPI/SIO on China IO)
RHYTHM_NEWS = 3  # scheduled newsroom accounts: flat 07-22, weekdays heavier

_HOURS = {
    RHYTHM_ORGANIC: (
        [2, 1, 0.6, 0.4, 0.3, 0.4, 1, 2.5, 4, 4.5, 4.5, 5, 5.5, 5, 4.5, 4.5, 5, 5.5, 6, 7, 8, 8.5, 7, 4.5],
        [3, 2, 1.2, 0.8, 0.5, 0.4, 0.6, 1, 2, 3.5, 5, 6, 6, 6, 6, 6, 6, 6, 6.5, 7, 7.5, 7.5, 6.5, 4.5],
    ),
    RHYTHM_NIGHT_OWL: (
        [7, 6, 4, 2, 1, 0.5, 0.3, 0.5, 1, 1.5, 2, 2.5, 3, 3, 3, 3, 3.5, 4, 4.5, 5, 6, 7, 8, 8],
        [8, 7, 5, 3, 1.5, 0.6, 0.3, 0.3, 0.5, 1, 2, 3, 3.5, 3.5, 3.5, 4, 4, 4.5, 5, 5.5, 6.5, 7.5, 8, 8.5],
    ),
    RHYTHM_OFFICE: (
        [0.1, 0.05, 0.05, 0.05, 0.05, 0.05, 0.1, 0.3, 1.5, 10, 10, 10, 2.2, 6, 10, 10, 10, 9, 1.5, 0.4, 0.3, 0.2, 0.15, 0.1],
        [0.2, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.2, 0.3, 0.6, 0.8, 0.8, 0.4, 0.6, 0.8, 0.8, 0.6, 0.4, 0.3, 0.3, 0.3, 0.3, 0.2, 0.2],
    ),
    RHYTHM_NEWS: (
        [0.8, 0.6, 0.5, 0.5, 0.5, 0.6, 1, 6, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 7, 6, 4, 2],
        [0.6, 0.5, 0.4, 0.4, 0.4, 0.5, 0.8, 3, 4, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 4, 4, 3, 1.5],
    ),
}
# cumulative distributions: [rhythm, weekend, hour]
_HOUR_CDF = np.zeros((len(_HOURS), 2, 24))
for _r, (_wd, _we) in _HOURS.items():
    _HOUR_CDF[_r, 0] = np.cumsum(_norm(_wd))
    _HOUR_CDF[_r, 1] = np.cumsum(_norm(_we))
_HOUR_CDF[:, :, -1] = 1.0


def local_second_of_day(rng: np.random.Generator, rhythm: np.ndarray, weekend: np.ndarray) -> np.ndarray:
    """Draw a local second of day for each row from its rhythm's hour profile."""
    n = len(rhythm)
    cdf = _HOUR_CDF[rhythm, weekend.astype(np.int64)]  # (n, 24)
    u = rng.random(n)
    hour = (cdf < u[:, None]).sum(axis=1)
    hour = np.minimum(hour, 23)
    sec = rng.integers(0, 3600, size=n)
    return hour * 3600 + sec


def times_on_days(
    rng: np.random.Generator,
    local_days: np.ndarray,
    rhythm: np.ndarray,
    tz_minutes: np.ndarray,
    *,
    shift_weekends: np.ndarray | None = None,
) -> np.ndarray:
    """UTC milliseconds for rows posted on given *local* days with a rhythm and a UTC offset.

    ``shift_weekends`` (bool per row): move Saturday to Friday and Sunday to Monday, which is
    how paid weekday-only posting looks in aggregate.
    """
    days = np.asarray(local_days, dtype=np.int64).copy()
    if shift_weekends is not None and shift_weekends.any():
        wd = weekday(days)
        days = days - ((wd == 5) & shift_weekends) + ((wd == 6) & shift_weekends)
    weekend = weekday(days) >= 5
    sod = local_second_of_day(rng, np.asarray(rhythm, dtype=np.int64), weekend)
    ms = rng.integers(0, 1000, size=len(days))
    t = START_MS + days * DAY_MS + sod * 1000 + ms - np.asarray(tz_minutes, dtype=np.int64) * 60_000
    # local day 0 east of UTC starts in 2016 UTC: keep the dataset inside its span
    return np.where(t < START_MS, t + DAY_MS, t)


class IdAllocator:
    """Snowflake ids that are unique and exactly consistent with each row's time.

    The low 22 bits (worker + sequence in Twitter's layout) come from a running counter times
    an odd constant modulo 2**22: a bijection, so two rows in the same millisecond can only
    collide if more than 4 million rows separate them, and they look random like real ids.
    """

    _MULT = 2654435761  # Knuth's multiplicative hash constant (odd)

    def __init__(self, start: int = 0) -> None:
        self.counter = start

    def ids(self, t_ms: np.ndarray) -> np.ndarray:
        n = len(t_ms)
        seq = (np.arange(self.counter, self.counter + n, dtype=np.uint64) * np.uint64(self._MULT)) & np.uint64(0x3FFFFF)
        self.counter += n
        return ((np.asarray(t_ms, dtype=np.int64) - TWITTER_EPOCH_MS) << 22) | seq.astype(np.int64)


def random_ids(rng: np.random.Generator, t_ms: np.ndarray) -> np.ndarray:
    """Snowflake ids for tweets *outside* the dataset (reply targets, external originals)."""
    low = rng.integers(0, 1 << 22, size=len(t_ms), dtype=np.int64)
    return ((np.asarray(t_ms, dtype=np.int64) - TWITTER_EPOCH_MS) << 22) | low


def snowflake_ms(ids: np.ndarray) -> np.ndarray:
    """The millisecond a snowflake id encodes."""
    return (np.asarray(ids, dtype=np.int64) >> 22) + TWITTER_EPOCH_MS


_DAY_STRINGS: pa.Array | None = None
_HM_STRINGS: pa.Array | None = None


def _calendar() -> tuple[pa.Array, pa.Array]:
    global _DAY_STRINGS, _HM_STRINGS
    if _DAY_STRINGS is None or _HM_STRINGS is None:
        days = np.arange(N_DAYS + _DAY_STR_MARGIN)
        d64 = np.datetime64(START_DATE.isoformat(), "D") + days
        _DAY_STRINGS = pa.array([str(d) + " " for d in d64])
        _HM_STRINGS = pa.array([f"{h:02d}:{m:02d}" for h in range(24) for m in range(60)])
    return _DAY_STRINGS, _HM_STRINGS


def minute_strings(t_ms: np.ndarray) -> pa.Array:
    """``YYYY-MM-DD HH:MM`` (UTC) for each millisecond time, by table lookup (strftime is 10x slower)."""
    import pyarrow.compute as pc

    day_s, hm_s = _calendar()
    rel = np.asarray(t_ms, dtype=np.int64) - START_MS
    day = rel // DAY_MS
    if len(day) and (day.min() < 0 or day.max() >= len(day_s)):
        raise ValueError("generated time outside the calendar")  # a generator bug, never user input
    minute = (rel % DAY_MS) // 60_000
    return pc.binary_join_element_wise(day_s.take(pa.array(day)), hm_s.take(pa.array(minute)), "")


def date_strings(days: np.ndarray) -> list[str]:
    """``YYYY-MM-DD`` for day indices (any range)."""
    d64 = np.datetime64(START_DATE.isoformat(), "D") + np.asarray(days, dtype=np.int64)
    return [str(d) for d in d64]
