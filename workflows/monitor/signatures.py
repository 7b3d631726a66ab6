"""Near-copies among progress reports, found with bottom-k MinHash sketches.

Each report's text is normalised and cut into word shingles; the ``SKETCH_SIZE`` smallest
64-bit shingle hashes are its sketch, the ``ANCHORS`` smallest of those its anchors. Two
reports with Jaccard similarity J share their smallest hash with probability J, so a copy
almost surely shares an anchor with its source: candidates come from the anchor index, the
sketches then estimate the similarity. Reports never change, so each is compared once,
when its signature is first computed, against every earlier report of another requirement.
"""

from __future__ import annotations

import hashlib
import re
import struct
import unicodedata
from collections.abc import Sequence
from typing import cast

from sqlalchemy import Table, bindparam, exists, func, insert, select
from sqlalchemy.orm import Session, aliased

from db.models import ProgressReport
from db.models.monitor import ReportAnchor, ReportSignature

SHINGLE_WORDS = 3
SKETCH_SIZE = 64
ANCHORS = 3
#: Reports shorter than this say too little to call a copy ("Đã hoàn thành.").
MIN_WORDS = 8
#: Similarities below this are not kept; the rule's threshold cannot go lower.
FLOOR = 0.5
BATCH = 2000
#: Report ids this far below the last signed one are still checked for a signature.
LATE_WINDOW = 10_000
_WORD = re.compile(r"\w+")
_SIGNATURES = cast(Table, ReportSignature.__table__)
_ANCHORS = cast(Table, ReportAnchor.__table__)


def shingle_hashes(text: str) -> list[int]:
    """The sorted distinct signed 64-bit hashes of the text's word shingles."""
    words = _WORD.findall(unicodedata.normalize("NFC", text).lower())
    if len(words) < MIN_WORDS:
        return []
    shingles = {" ".join(words[i : i + SHINGLE_WORDS]) for i in range(len(words) - 2)}
    return sorted(
        int.from_bytes(hashlib.blake2b(s.encode(), digest_size=8).digest(), "big", signed=True)
        for s in shingles
    )


def sketch_of(text: str) -> list[int]:
    return shingle_hashes(text)[:SKETCH_SIZE]


def pack(sketch: Sequence[int]) -> bytes:
    return struct.pack(f"<{len(sketch)}q", *sketch)


def unpack(blob: bytes) -> list[int]:
    return list(struct.unpack(f"<{len(blob) // 8}q", blob))


def similarity(a: Sequence[int], b: Sequence[int]) -> float:
    """Estimated Jaccard similarity of two bottom-k sketches."""
    if not a or not b:
        return 0.0
    union = sorted(set(a) | set(b))[:SKETCH_SIZE]
    both = set(a) & set(b)
    return sum(1 for h in union if h in both) / len(union)


def sign_missing(
    session: Session, limit: int | None = None, *, everything: bool = False
) -> tuple[int, list[int]]:
    """Compute the signatures (and closest earlier report) of reports that lack one, at most
    ``limit``; return how many were signed and the requirements they belong to.

    Reports only ever get added, so only those past the last signed one (less a window for
    transactions that committed late) are looked for, unless ``everything``.
    """
    done, floor, owners = 0, 0, set[int]()
    if not everything:
        last = session.scalar(select(func.max(ReportSignature.report_id))) or 0
        floor = max(0, last - LATE_WINDOW)
    while limit is None or done < limit:
        batch = _unsigned(session, min(BATCH, (limit - done) if limit else BATCH), floor)
        if not batch:
            break
        sketches = {report_id: sketch_of(text) for report_id, _, text in batch}
        _store_anchors(session, sketches)
        _store_signatures(session, sketches, _closest(session, sketches))
        owners.update(requirement_id for _, requirement_id, _ in batch)
        done += len(batch)
    return done, sorted(owners)


def _unsigned(session: Session, size: int, floor: int) -> list[tuple[int, int, str]]:
    signed = exists().where(ReportSignature.report_id == ProgressReport.id)
    rows = session.execute(
        select(ProgressReport.id, ProgressReport.requirement_id, ProgressReport.text)
        .where(ProgressReport.id > floor, ~signed)
        .order_by(ProgressReport.id)
        .limit(size)
    )
    return [(row.id, row.requirement_id, row.text) for row in rows]


def _store_anchors(session: Session, sketches: dict[int, list[int]]) -> None:
    anchors = [
        {"report_id": report_id, "rank": rank, "anchor": h}
        for report_id, sketch in sketches.items()
        for rank, h in enumerate(sketch[:ANCHORS])
    ]
    if anchors:  # Core inserts: many rows, no ORM bookkeeping
        session.connection().execute(insert(_ANCHORS), anchors)


def _store_signatures(
    session: Session, sketches: dict[int, list[int]], closest: dict[int, tuple[int, float]]
) -> None:
    rows = [
        {
            "report_id": report_id,
            "sketch": pack(sketch),
            "similar_report_id": closest.get(report_id, (None, None))[0],
            "similarity": closest.get(report_id, (None, None))[1],
        }
        for report_id, sketch in sketches.items()
    ]
    session.connection().execute(insert(_SIGNATURES), rows)


def _candidates(session: Session, report_ids: list[int]) -> dict[int, set[int]]:
    """For each report, the earliest earlier report of another requirement per anchor."""
    mine, theirs = aliased(ReportAnchor, name="mine"), aliased(ReportAnchor, name="theirs")
    own, other = aliased(ProgressReport, name="own"), aliased(ProgressReport, name="other")
    earliest = (
        select(theirs.report_id)
        .join(other, other.id == theirs.report_id)
        .where(
            theirs.anchor == mine.anchor,
            theirs.report_id < mine.report_id,
            other.requirement_id != own.requirement_id,
        )
        .order_by(theirs.report_id)
        .limit(1)
        .scalar_subquery()
    )
    rows = session.execute(
        select(mine.report_id, earliest)
        .join(own, own.id == mine.report_id)
        .where(mine.report_id.in_(bindparam("ids", expanding=True))),
        {"ids": report_ids},
    )
    found: dict[int, set[int]] = {}
    for report_id, candidate in rows:
        if candidate is not None:
            found.setdefault(report_id, set()).add(candidate)
    return found


def _closest(session: Session, sketches: dict[int, list[int]]) -> dict[int, tuple[int, float]]:
    """For each new report, its most similar candidate if at least ``FLOOR`` alike."""
    found = _candidates(session, sorted(sketches))
    known = dict(sketches)
    wanted = {c for cs in found.values() for c in cs} - set(known)
    if wanted:
        rows = session.execute(
            select(ReportSignature.report_id, ReportSignature.sketch).where(
                ReportSignature.report_id.in_(bindparam("ids", expanding=True))
            ),
            {"ids": sorted(wanted)},
        )
        known.update((report_id, unpack(blob)) for report_id, blob in rows)
    closest = {}
    for report_id, candidates in found.items():
        scored = [(similarity(known[report_id], known.get(c, [])), -c) for c in candidates]
        best, negative_id = max(scored)
        if best >= FLOOR:
            closest[report_id] = (-negative_id, best)
    return closest
