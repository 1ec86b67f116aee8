"""Behavioural traces, registered by ``name``.

>>> from cibscope.traces import get_trace, trace_names
>>> "co_retweet" in trace_names()
True
>>> get_trace("co_retweet")(window=30).window
30.0

A trace is a small class (see :mod:`.base`): which key an action shares, and when. Add one by
subclassing :class:`~cibscope.traces.base.Trace` and calling :func:`register_trace`; check it
with :func:`cibscope.testing.check_trace`.
"""

from __future__ import annotations

from ..errors import ParameterError
from .base import Trace
from .account_batch import AccountBatch
from .co_hashtag import CoHashtag, HashtagSequence
from .co_image import CoImage
from .co_link import CoDomain, CoLink
from .co_mention import CoMention
from .co_quote import CoQuote
from .co_reply import CoReply
from .co_retweet import CoRetweet
from .cross_platform import XpDomain, XpHashtag, XpImage, XpLink, XpText
from .fast_retweet import FastRetweet
from .near_duplicate import NearDuplicate
from .profile_template import ProfileTemplate
from .sync_activity import SyncActivity

__all__ = ["Trace", "TRACES", "register_trace", "get_trace", "trace_names", "traces"]

#: name -> Trace subclass, in the order layers are built and documented.
TRACES: dict[str, type[Trace]] = {}


def register_trace(cls: type[Trace], *, replace: bool = False) -> type[Trace]:
    """Add a trace class to the registry (usable as a class decorator)."""
    if not cls.name:
        raise ParameterError(f"{cls.__name__} has no name")
    if cls.name in TRACES and TRACES[cls.name] is not cls and not replace:
        raise ParameterError(f"a trace named {cls.name!r} is already registered ({TRACES[cls.name].__name__})")
    TRACES[cls.name] = cls
    return cls


def get_trace(name: str) -> type[Trace]:
    try:
        return TRACES[name]
    except KeyError:
        raise ParameterError(
            f"unknown trace {name!r}; known traces: {', '.join(TRACES)}"
        ) from None


def trace_names() -> list[str]:
    return list(TRACES)


def traces() -> list[type[Trace]]:
    return list(TRACES.values())


for _cls in (
    CoRetweet,
    CoQuote,
    CoReply,
    CoLink,
    CoDomain,
    CoHashtag,
    HashtagSequence,
    CoMention,
    CoImage,
    NearDuplicate,
    FastRetweet,
    SyncActivity,
    AccountBatch,
    ProfileTemplate,
    XpLink,
    XpDomain,
    XpHashtag,
    XpText,
    XpImage,
):
    register_trace(_cls)
