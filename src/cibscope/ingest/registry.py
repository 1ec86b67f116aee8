"""The registry of readers, in sniffing order (most specific first)."""

from __future__ import annotations

from importlib import import_module

from ..errors import InputError
from .base import Reader

# Each module exports READERS: a list of Reader instances.
_READER_MODULES = ("io_archive", "twitter_json", "generic")


def readers() -> list[Reader]:
    out: list[Reader] = []
    for mod in _READER_MODULES:
        out.extend(import_module(f"{__package__}.{mod}").READERS)
    return out


def get_reader(name: str) -> Reader:
    for r in readers():
        if r.name == name:
            return r
    names = ", ".join(r.name for r in readers())
    raise InputError(f"unknown format {name!r}; known formats: {names}")
