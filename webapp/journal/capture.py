"""Gentle capture: feelings (each with an optional intensity) and where in the body
something is felt, as named regions with qualities, so they can be summarised later.

Checked strictly, as everything a device sends: known ids only, no repeats, no other keys.
Stored on the entry as canonical JSON, encrypted like its text (``Entry.capture``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from webapp.content import BODY_QUALITIES, BODY_REGIONS, FEELINGS, INTENSITIES

FEELINGS_ERROR = (
    "Feelings are a list like [{\"feeling\": \"calm\", \"intensity\": 2}]: known feelings, each "
    "once, with an intensity of 1 to 3 or null."
)
BODY_ERROR = (
    "The body map is a list like [{\"region\": \"chest\", \"qualities\": [\"warm\"]}]: known "
    "regions, each once, with known qualities."
)


@dataclass(frozen=True)
class Capture:
    """Checked capture fields; ``None`` for a part the device did not send (left as it is)."""

    feelings: tuple[tuple[str, int | None], ...] | None = None
    body: tuple[tuple[str, tuple[str, ...]], ...] | None = None

    @property
    def given(self) -> bool:
        return self.feelings is not None or self.body is not None

    @property
    def noted(self) -> bool:
        return bool(self.feelings) or bool(self.body)


def _only_keys(item: object, allowed: set[str], required: str) -> bool:
    return isinstance(item, Mapping) and required in item and set(item) <= allowed


def parse_feelings(raw: object) -> tuple[tuple[str, int | None], ...]:
    """A checked list of feelings, or ValueError."""
    if not isinstance(raw, list) or len(raw) > len(FEELINGS):
        raise ValueError(FEELINGS_ERROR)
    seen: list[tuple[str, int | None]] = []
    for item in raw:
        if not _only_keys(item, {"feeling", "intensity"}, "feeling"):
            raise ValueError(FEELINGS_ERROR)
        feeling, intensity = item["feeling"], item.get("intensity")
        if not isinstance(feeling, str) or feeling not in FEELINGS:
            raise ValueError(FEELINGS_ERROR)
        if intensity is not None and (
            isinstance(intensity, bool) or not isinstance(intensity, int)
            or intensity not in INTENSITIES
        ):
            raise ValueError(FEELINGS_ERROR)
        if any(feeling == known for known, _ in seen):
            raise ValueError(FEELINGS_ERROR)
        seen.append((feeling, intensity))
    return tuple(seen)


def parse_body_map(raw: object) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """A checked list of body regions with their qualities, or ValueError."""
    if not isinstance(raw, list) or len(raw) > len(BODY_REGIONS):
        raise ValueError(BODY_ERROR)
    marks: list[tuple[str, tuple[str, ...]]] = []
    for item in raw:
        if not _only_keys(item, {"region", "qualities"}, "region"):
            raise ValueError(BODY_ERROR)
        region, qualities = item["region"], item.get("qualities", [])
        if not isinstance(region, str) or region not in BODY_REGIONS:
            raise ValueError(BODY_ERROR)
        if (
            not isinstance(qualities, list)
            or not all(isinstance(q, str) and q in BODY_QUALITIES for q in qualities)
            or len(set(qualities)) != len(qualities)
            or any(region == known for known, _ in marks)
        ):
            raise ValueError(BODY_ERROR)
        marks.append((region, tuple(qualities)))
    return tuple(marks)


def parse_capture(data: Mapping[str, object], errors: dict[str, str]) -> Capture:
    """The capture fields of a form or a draft (``feelings``, ``body_map``); problems go
    into ``errors`` by field, so the caller reports them with everything else."""
    parts: dict[str, object] = {}
    for name, parse, key in (("feelings", parse_feelings, "feelings"),
                             ("body_map", parse_body_map, "body")):
        raw = data.get(name)
        if raw is None:
            continue
        try:
            parts[key] = parse(raw)
        except ValueError as exc:
            errors[name] = str(exc)
    return Capture(**parts)


def stored_capture(current: str | None, change: Capture) -> str | None:
    """The entry's capture JSON after ``change``: parts not given stay as they were."""
    before = json.loads(current) if current else {}
    feelings = (
        [{"feeling": f, "intensity": i} for f, i in change.feelings]
        if change.feelings is not None else before.get("feelings", [])
    )
    body = (
        [{"region": r, "qualities": list(q)} for r, q in change.body]
        if change.body is not None else before.get("body", [])
    )
    if not feelings and not body:
        return None
    return json.dumps({"body": body, "feelings": feelings}, sort_keys=True,
                      separators=(",", ":"))


def capture_in_words(current: str | None) -> list[str]:
    """What a capture noted, as lines a person reads ("Feelings: Tender (quite), Calm"),
    for places that hold plain text rather than the entry itself (a shared snapshot)."""
    noted = json.loads(current) if current else {}
    lines = []
    if noted.get("feelings"):
        lines.append("Feelings: " + ", ".join(
            FEELINGS.get(f["feeling"], f["feeling"])
            + (f" ({INTENSITIES[f['intensity']].lower()})" if f.get("intensity") else "")
            for f in noted["feelings"]
        ))
    if noted.get("body"):
        lines.append("In the body: " + ", ".join(
            (BODY_REGIONS[m["region"]].name if m["region"] in BODY_REGIONS else m["region"])
            + (" (" + ", ".join(BODY_QUALITIES.get(q, q).lower() for q in m["qualities"]) + ")"
               if m["qualities"] else "")
            for m in noted["body"]
        ))
    return lines
