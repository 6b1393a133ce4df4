"""What gentle captures noted across a journey's phases: which feelings came up, and where
in the body, how often. Drawn as a body outline shaded by frequency, with tables."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from webapp.auth.models import User
from webapp.content import BODY_QUALITIES, BODY_REGIONS, FEELINGS
from webapp.journal.timeline import entries_by_phase
from webapp.journeys.models import Journey

SHADES = 5  # levels of shading, from faint (1) to full (5); 0 is never marked


@dataclass(frozen=True)
class Tally:
    key: str
    name: str
    times: int
    # For a body region: the qualities felt there, most often first.
    qualities: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class PhaseCapture:
    phase: str
    name: str
    captures: int  # entries in this phase that noted feelings or the body
    feelings: list[Tally]
    regions: list[Tally]

    @property
    def shades(self) -> dict[str, int]:
        """Each marked region's shade (1 to SHADES), relative to the phase's most marked."""
        most = max((r.times for r in self.regions), default=0)
        return {r.key: max(1, round(SHADES * r.times / most)) for r in self.regions if most}


def captures_by_phase(user: User, journey: Journey) -> list[PhaseCapture]:
    """Per phase of the journey's arc (in arc order), only phases where something was noted."""
    summaries = []
    for key, name, entries in entries_by_phase(user, journey):
        feelings: Counter[str] = Counter()
        regions: Counter[str] = Counter()
        qualities: dict[str, Counter[str]] = {}
        captures = 0
        for entry in entries:
            if not entry.capture:
                continue
            noted = entry.capture_data
            captures += 1
            feelings.update(item["feeling"] for item in noted["feelings"])
            for mark in noted["body"]:
                regions[mark["region"]] += 1
                qualities.setdefault(mark["region"], Counter()).update(mark["qualities"])
        if not captures:
            continue
        summaries.append(PhaseCapture(
            phase=key,
            name=name,
            captures=captures,
            feelings=[Tally(f, FEELINGS.get(f, f), n) for f, n in _ranked(feelings)],
            regions=[
                Tally(r, BODY_REGIONS[r].name if r in BODY_REGIONS else r, n,
                      tuple((BODY_QUALITIES.get(q, q), k) for q, k in _ranked(qualities[r])))
                for r, n in _ranked(regions)
            ],
        ))
    return summaries


def _ranked(counts: Counter[str]) -> list[tuple[str, int]]:
    """Most often first; ties in a stable order, by id."""
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))
