"""One validation rule per field type, shared by every reader.

Each rule has a Python form (for the JSON readers, which convert record by record) and a SQL
twin (for the CSV/Parquet readers, which convert inside DuckDB); ``tests/test_rules.py`` checks
that both give the same answer on the same text. A reader applies the rule of a field's type
and nothing else, so a value is read the same way whatever the file's format:

================== ============================================= =============================
type               valid                                         otherwise
================== ============================================= =============================
decimal id         an unsigned 64-bit integer written in decimal the row is quarantined
                   without a sign or leading zeros (``0``,
                   ``1182948211848441856``); a JSON integer
text id            non-empty text of at most                     the row is quarantined
                   :data:`MAX_ID_BYTES` bytes, not a
                   number in float notation (``1.2e+18``,
                   ``123.0``: an id that went through a float
                   has lost digits), and nothing a spreadsheet
                   would run (see :func:`text_id_problem`)
count              a non-negative whole number (``12``; ``3.0``   NULL (the row is kept)
                   is 3) up to 2^63 - 1
latitude/longitude a finite decimal number within [-90, 90] /    NULL (the row is kept)
                   [-180, 180]
post time          from 1970-01-01 to before 2100-01-01 (UTC)    the row is quarantined
account time       the same range                                NULL (the row is kept)
================== ============================================= =============================

Text values are taken without surrounding spaces (:func:`trim`); an empty value is missing
(NULL), not invalid. Twitter's ids (tweets and users in the
API JSON, tweet ids in the IO archive) are decimal ids; the IO archive's user ids (a number, or
a hash for small accounts) and every id of the generic reader are text ids.

Why text ids are written as they are in CSV exports: ids must survive a join, so the
exports never prefix them (see :mod:`cibscope.export`); this rule is what makes that safe --
no id that passes it can run as a spreadsheet formula.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Any

__all__ = [
    "BadValue",
    "MAX_U64",
    "MAX_I64",
    "MAX_ID_BYTES",
    "TIME_MIN",
    "TIME_MAX",
    "decimal_id",
    "json_type",
    "decimal_id_sql",
    "text_id",
    "text_id_problem",
    "text_id_problem_sql",
    "count",
    "count_sql",
    "coordinate",
    "coordinate_sql",
    "time_in_range",
    "time_in_range_sql",
    "trim",
]

MAX_U64 = 2**64 - 1
MAX_I64 = 2**63 - 1
#: Longest text id kept (bytes of UTF-8).
MAX_ID_BYTES = 1024
#: Post and account times are kept from TIME_MIN up to (not including) TIME_MAX, UTC.
TIME_MIN = datetime(1970, 1, 1)
TIME_MAX = datetime(2100, 1, 1)

_DECIMAL_ID = "0|[1-9][0-9]{0,19}"
_FLOAT_ID = r"[0-9]+(\.[0-9]+)?[eE][+-]?[0-9]+|[0-9]+\.0+"
_COUNT = r"[0-9]+(\.0*)?"
_NUMBER = r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?"
# C0 controls, DEL and C1 controls (ESC, CSI and OSC among them)
_CONTROL = r"[\x00-\x1f\x7f-\x9f]"
# after a leading + or -, a spreadsheet reads a formula; these characters cannot make one run
_SIGNED_SAFE = "[A-Za-z0-9+/=_.:-]*"
_RANGE = {"latitude": 90.0, "longitude": 180.0}

#: SQL string literal of the control-character class (for replacing them in reasons)
CONTROL_SQL = "'" + _CONTROL + "'"
#: SQL string literal of the pattern a text id starting with a sign must match in full
#: (``regexp_matches``) not to run as a spreadsheet formula (see :func:`text_id_problem`)
SIGNED_ID_SQL = "'^[+-]" + _SIGNED_SAFE + "$'"

_re_decimal = re.compile(_DECIMAL_ID)
_re_float_id = re.compile(_FLOAT_ID)
_re_count = re.compile(_COUNT)
_re_number = re.compile(_NUMBER)
_re_control = re.compile(_CONTROL)
_re_signed_safe = re.compile(_SIGNED_SAFE)


class BadValue(ValueError):
    """A value its field's rule refuses; the message is the reason (for the quarantine)."""


def _lit(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _show(value: Any) -> str:
    s = value if isinstance(value, str) else repr(value)
    s = _re_control.sub("?", s)
    return s if len(s) <= 60 else s[:59] + "…"


# the characters DuckDB's trim() removes: Unicode space separators (category Zs)
_ZS = " \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
#: the same characters as a SQL list of code points (for ``ord(x) IN (...)``)
ZS_CODEPOINTS_SQL = ", ".join(str(ord(c)) for c in _ZS)


def trim(value: str) -> str | None:
    """``value`` as the readers trim it (:func:`cibscope.ingest.base.trimmed_sql`): when it
    holds a space, without surrounding space separators (DuckDB's ``trim``); None when empty."""
    s = value.strip(_ZS) if " " in value else value
    return s or None


def json_type(value: Any) -> str:
    """A JSON value's type as a reason names it: 'a number', 'a string', 'a list', ..."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object" if isinstance(value, dict) else type(value).__name__


# ---- decimal ids ----------------------------------------------------------------------------


def decimal_id(value: Any, field: str) -> str | None:
    """The id as its exact decimal text; None when missing (None or empty); :class:`BadValue`
    when it is not an unsigned 64-bit integer in canonical decimal form."""
    if value is None:
        return None
    if isinstance(value, float):  # a JSON number beyond 64 bits, or with a fraction: digits are lost
        raise BadValue(f"invalid {field} {_show(repr(value))} (not an unsigned 64-bit integer)")
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise BadValue(f"invalid {field} ({json_type(value)}, not an id)")
    if isinstance(value, int):
        if 0 <= value <= MAX_U64:
            return str(value)
        raise BadValue(f"invalid {field} {_show(str(value))} (not an unsigned 64-bit integer)")
    s = trim(value)
    if s is None:
        return None
    if _re_decimal.fullmatch(s) and int(s) <= MAX_U64:
        return s
    raise BadValue(f"invalid {field} {_show(s)} (not an unsigned 64-bit integer)")


def decimal_id_sql(expr: str, number: str | None = None) -> str:
    """SQL: is the trimmed text ``expr`` (NULL = missing) a valid decimal id? NULL counts as valid.

    A text is an unsigned 64-bit integer in canonical decimal form exactly when it reads as
    one and prints back as itself (no sign, space, leading zero, underscore, fraction or
    exponent survives the round trip); cheaper than the regular expression (ids are in every row).
    ``number``: SQL of ``TRY_CAST(expr AS UBIGINT)`` when the caller computed it already.
    """
    number = number or f"TRY_CAST({expr} AS UBIGINT)"
    return f"({expr} IS NULL OR coalesce(CAST({number} AS VARCHAR) = {expr}, false))"


# ---- text ids -------------------------------------------------------------------------------


def text_id_problem(s: str) -> str | None:
    """Why the (trimmed, non-empty) text id ``s`` cannot be kept, or None when it can.

    A spreadsheet runs a cell starting with ``=``, ``@``, ``+`` or ``-`` as a formula (and one
    starting with a tab or carriage return, which some strip first); after a sign, letters,
    digits and ``+/=_.:-`` cannot call a function or another program (base64 hashes and
    YouTube-style ids pass; ``-2+3+cmd|' /C calc'!A0`` does not). Other control characters
    inside an id are kept (terminal output strips them, see :mod:`cibscope.cli.common`).
    """
    if len(s.encode("utf-8", "surrogatepass")) > MAX_ID_BYTES:
        return f"longer than {MAX_ID_BYTES} bytes"
    if ("." in s or "e" in s or "E" in s) and _re_float_id.fullmatch(s):
        return "float notation, digits lost"
    if s[0] in "=@\t\r" or (s[0] in "+-" and not _re_signed_safe.fullmatch(s, 1)):
        return "could run as a spreadsheet formula"
    return None


def text_id(value: Any, field: str) -> str | None:
    """The id as text (trimmed); None when missing; :class:`BadValue` when refused."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise BadValue(f"invalid {field} ({json_type(value)}, not an id)")
    s = trim(str(value))
    if s is None:
        return None
    why = text_id_problem(s)
    if why is not None:
        raise BadValue(f"invalid {field} {_show(s)} ({why})")
    return s


def text_id_problem_sql(expr: str) -> str:
    """SQL twin of :func:`text_id_problem` for the trimmed text ``expr``: the problem, or NULL
    (also for a NULL ``expr``, a missing id). Cheap tests first: ids are in every row."""
    # float notation starts with a digit (ord 48-57); ord() of the first character is far
    # cheaper than left(): base64 hashes hold an 'e' or 'E' more often than not
    return (
        f"CASE WHEN {expr} IS NULL THEN NULL "
        f"WHEN strlen({expr}) > {MAX_ID_BYTES} THEN {_lit(f'longer than {MAX_ID_BYTES} bytes')} "
        f"WHEN ord({expr}) BETWEEN 48 AND 57 AND (contains({expr}, '.') OR contains({expr}, 'e') OR contains({expr}, 'E')) "
        f"AND regexp_full_match({expr}, {_lit(_FLOAT_ID)}) THEN 'float notation, digits lost' "
        f"WHEN ord({expr}) IN (61, 64, 9, 13) "
        f"OR (ord({expr}) IN (43, 45) AND NOT regexp_matches({expr}, {SIGNED_ID_SQL})) "
        "THEN 'could run as a spreadsheet formula' END"
    )


# ---- counts ---------------------------------------------------------------------------------


def count(value: Any) -> int | None:
    """A non-negative whole number, else None (text ``3.0`` is 3; ``1.5``, ``0x10``, ``-3`` are None)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value <= MAX_I64 else None
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and 0 <= value <= MAX_I64:
            return int(value)
        return None
    if not isinstance(value, str):
        return None
    s = trim(value)
    if s is None or not _re_count.fullmatch(s):
        return None
    n = int(s.split(".", 1)[0])
    return n if n <= MAX_I64 else None


def count_sql(expr: str) -> str:
    """SQL twin of :func:`count` for the trimmed text ``expr`` (a BIGINT or NULL)."""
    # canonical digits (no leading zero: prints back as itself) first, without a regular expression
    return (
        f"CASE WHEN CAST(TRY_CAST({expr} AS UBIGINT) AS VARCHAR) = {expr} THEN TRY_CAST({expr} AS BIGINT) "
        f"WHEN regexp_full_match({expr}, '[0-9]+') THEN TRY_CAST({expr} AS BIGINT) "
        f"WHEN regexp_full_match({expr}, {_lit(_COUNT)}) THEN TRY_CAST(split_part({expr}, '.', 1) AS BIGINT) END"
    )


# ---- coordinates ----------------------------------------------------------------------------


def coordinate(value: Any, axis: str) -> float | None:
    """A latitude or longitude (``axis``) in decimal degrees, else None (not a finite number
    written in decimal, or out of range)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        try:
            x = float(value)
        except OverflowError:
            return None
    elif isinstance(value, str):
        s = trim(value)
        if s is None or not _re_number.fullmatch(s):
            return None
        x = float(s)
    else:
        return None
    limit = _RANGE[axis]
    return x if math.isfinite(x) and -limit <= x <= limit else None


def coordinate_sql(expr: str, axis: str) -> str:
    """SQL twin of :func:`coordinate` for the trimmed text ``expr`` (a DOUBLE or NULL)."""
    limit = _RANGE[axis]
    v = f"TRY_CAST({expr} AS DOUBLE)"
    return f"CASE WHEN regexp_full_match({expr}, {_lit(_NUMBER)}) AND {v} BETWEEN {-limit!r} AND {limit!r} THEN {v} END"


# ---- times ----------------------------------------------------------------------------------


def time_in_range(dt: datetime) -> bool:
    """Is the (UTC, naive) time within [TIME_MIN, TIME_MAX)?"""
    return TIME_MIN <= dt < TIME_MAX


def time_in_range_sql(expr: str) -> str:
    """SQL twin of :func:`time_in_range` for the TIMESTAMP ``expr`` (NULL stays NULL)."""
    return f"({expr} >= TIMESTAMP '{TIME_MIN:%Y-%m-%d %H:%M:%S}' AND {expr} < TIMESTAMP '{TIME_MAX:%Y-%m-%d %H:%M:%S}')"
