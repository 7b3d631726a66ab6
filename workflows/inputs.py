"""Checking what users type before any verb writes anything: texts, amounts, percentages,
deadlines and evidence metadata. Each refusal names the field it is about."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from db.models.remediation import MAX_AMOUNT
from workflows.errors import InvalidInput
from workflows.i18n import _l

MAX_TEXT = 20_000
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class EvidenceInput:
    """Metadata of an uploaded file (storing the file itself is the upload's business)."""

    sha256: str
    filename: str
    content_type: str
    size: int
    doc_number: str | None = None
    doc_date: date | None = None


@dataclass(frozen=True)
class ReportInput:
    """A progress or completion report. ``amount_recovered`` is the total so far (VND);
    None keeps the total already reported."""

    text: str
    percent: int | str
    amount_recovered: Decimal | int | str | None = None
    evidence: tuple[EvidenceInput, ...] = ()


def clean_text(value: str | None, field: str, message: Any, max_len: int = MAX_TEXT) -> str:
    cleaned = (value or "").strip()
    if not cleaned or len(cleaned) > max_len:
        raise InvalidInput(message, field=field)
    return cleaned


def parse_amount(value: object, field: str) -> Decimal:
    """A whole, non-negative number of đồng from a form value, int or Decimal."""
    try:
        if isinstance(value, bool | float) or value is None:
            raise InvalidOperation
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
        if not amount.is_finite() or amount != amount.to_integral_value():
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        raise InvalidInput(
            _l("Enter the amount as a whole number of đồng, digits only."), field=field
        ) from None
    if amount < 0:
        raise InvalidInput(_l("An amount cannot be negative."), field=field)
    if amount >= MAX_AMOUNT:
        raise InvalidInput(_l("That amount is too large."), field=field)
    return amount.quantize(Decimal(1))


def parse_percent(value: object) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        raise InvalidInput(_l("Progress is a whole percentage from 0 to 100."), field="percent")
    return value


def check_deadline(value: object, field: str) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise InvalidInput(_l("Give the deadline as a date and time with its time zone."), field)
    return value


def check_evidence(items: tuple[EvidenceInput, ...]) -> None:
    for item in items:
        if (
            not SHA256_RE.match(item.sha256 or "")
            or not (item.filename or "").strip()
            or len(item.filename) > 255
            or not 0 < len(item.content_type or "") <= 127
            or isinstance(item.size, bool)
            or not isinstance(item.size, int)
            or item.size < 0
        ):
            raise InvalidInput(
                _l("Each evidence file needs its SHA-256 fingerprint, name, type and size."),
                field="evidence",
            )
