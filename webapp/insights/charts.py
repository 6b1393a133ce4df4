"""Insights drawn on the server as SVG (with table fallbacks): mood over time, practices per
week, and how many entries each journey's phases hold."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import bindparam, func, select

from webapp.auth.models import User
from webapp.calendar import local_date, zone_of
from webapp.content import MOODS, PHASES
from webapp.extensions import db
from webapp.journal.models import Entry
from webapp.journeys.arc import list_journeys
from webapp.journeys.models import Journey
from webapp.practices.services import weekly_counts
from webapp.types import utcnow

# --- Charts ---------------------------------------------------------------------------------

CHART_WIDTH = 320
CHART_HEIGHT = 160
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 56, 8, 10, 24


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str
    value: float


@dataclass(frozen=True)
class MoodChart:
    days: list[tuple[date, float, int]]  # (local day, average mood, entries that day)
    points: list[Point]
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)

    @property
    def gridlines(self) -> list[tuple[float, str]]:
        return [(_mood_y(value), label) for value, label in MOODS.items()]

    @property
    def first_label(self) -> str:
        return self.days[0][0].strftime("%-d %b") if self.days else ""

    @property
    def last_label(self) -> str:
        """Empty when the chart holds a single day: one date under both ends says nothing."""
        return self.days[-1][0].strftime("%-d %b") if len(self.days) > 1 else ""


def _mood_y(value: float) -> float:
    inner = CHART_HEIGHT - PAD_TOP - PAD_BOTTOM
    return PAD_TOP + inner * (5 - value) / 4


_MOODS_SINCE = select(Entry.created_at, Entry.mood).where(
    Entry.user_id == bindparam("user_id"),
    Entry.deleted_at.is_(None),
    Entry.mood.is_not(None),
    Entry.created_at >= bindparam("since"),
)


def mood_chart(user: User, days: int = 90, moment: datetime | None = None) -> MoodChart:
    """Average mood per local day over the last ``days`` days."""
    moment = moment or utcnow()
    zone = zone_of(user)
    rows = db.session.execute(
        _MOODS_SINCE, {"user_id": user.id, "since": moment - timedelta(days=days)}
    ).all()
    per_day: dict[date, list[int]] = defaultdict(list)
    for created_at, mood in rows:
        per_day[local_date(created_at, zone)].append(mood)
    series = [(d, sum(v) / len(v), len(v)) for d, v in sorted(per_day.items())]
    if not series:
        return MoodChart([], [])
    start = local_date(moment, zone) - timedelta(days=days - 1)
    inner_w = CHART_WIDTH - PAD_LEFT - PAD_RIGHT
    points = [
        Point(
            PAD_LEFT + inner_w * max(0, (d - start).days) / max(1, days - 1),
            _mood_y(avg),
            d.strftime("%-d %b"),
            round(avg, 1),
        )
        for d, avg, _n in series
    ]
    return MoodChart(series, points)


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: int


@dataclass(frozen=True)
class PracticeChart:
    weeks: list[tuple[date, int]]
    bars: list[Bar]
    top: int
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT

    @property
    def total(self) -> int:
        return sum(n for _w, n in self.weeks)

    @property
    def baseline(self) -> float:
        return CHART_HEIGHT - PAD_BOTTOM


def practice_chart(user: User, weeks: int = 8, moment: datetime | None = None) -> PracticeChart:
    counts = weekly_counts(user, weeks, moment)
    top = max([n for _w, n in counts] + [1])
    inner_w = CHART_WIDTH - PAD_LEFT - PAD_RIGHT
    inner_h = CHART_HEIGHT - PAD_TOP - PAD_BOTTOM
    slot = inner_w / len(counts)
    bars = []
    for index, (monday, count) in enumerate(counts):
        height = inner_h * count / top
        bars.append(
            Bar(
                PAD_LEFT + index * slot + slot * 0.15,
                CHART_HEIGHT - PAD_BOTTOM - height,
                slot * 0.7,
                height,
                monday.strftime("%-d %b"),
                count,
            )
        )
    return PracticeChart(counts, bars, top)


@dataclass(frozen=True)
class ArcSummary:
    journey: Journey | None
    counts: list[tuple[str, int]]  # (phase name, entries)
    total: int


# Counted by the database, not row by row here.
_PER_JOURNEY_AND_PHASE = (
    select(Entry.journey_id, Entry.phase, func.count())
    .where(Entry.user_id == bindparam("user_id"), Entry.deleted_at.is_(None))
    .group_by(Entry.journey_id, Entry.phase)
)


def entries_by_journey_and_phase(user: User) -> list[ArcSummary]:
    tally: dict[object, dict[str | None, int]] = defaultdict(lambda: defaultdict(int))
    for journey_id, phase, count in db.session.execute(_PER_JOURNEY_AND_PHASE,
                                                       {"user_id": user.id}):
        tally[journey_id][phase] += count
    summaries = []
    for journey in list_journeys(user):
        phases = tally.pop(journey.id, {})
        counts = [(p.name, phases.get(key, 0)) for key, p in PHASES.items()]
        other = sum(n for key, n in phases.items() if key not in PHASES)
        if other:
            counts.append(("No phase", other))
        summaries.append(ArcSummary(journey, counts, sum(phases.values())))
    loose = sum(sum(p.values()) for p in tally.values())
    if loose:
        summaries.append(ArcSummary(None, [("Not tied to a journey", loose)], loose))
    return summaries
