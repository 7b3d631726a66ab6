"""Keys that make one piece of news, and one delivery, recognisable wherever it turns up."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from decimal import Decimal
from typing import Any

_KEY_LIMIT = 255


_SCALARS = (str, int, float, bool, type(None))


def plain(value: Any) -> Any:
    """``value`` as JSON can hold it: times and dates in ISO form, amounts as strings."""
    if type(value) in _SCALARS:  # most of what it sees: answered first
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def dedupe_key(*parts: object, limit: int = _KEY_LIMIT) -> str:
    """A readable unique key, hashed when it would be longer than ``limit``."""
    key = "|".join(str(p) for p in parts)
    if len(key) <= limit:
        return key
    return key[: limit - 72] + "|sha256:" + hashlib.sha256(key.encode()).hexdigest()


def delivery_id(key: str) -> str:
    """The stable id of one delivery: its Message-ID and its webhook delivery header."""
    return hashlib.sha256(key.encode()).hexdigest()[:32]
