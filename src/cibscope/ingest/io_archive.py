"""Reader module (in progress)."""

from __future__ import annotations

from .base import Reader

READERS: list[Reader] = []
