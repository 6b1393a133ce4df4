"""Insights and export: charts drawn on the server, and everything a person has, to take away."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from webapp.archives import stream_zip
from webapp.auth.models import User
from webapp.content import ALL_PROMPTS, PHASES, PRACTICES_BY_ID
from webapp.events import export_gathering
from webapp.extensions import db
from webapp.journal.models import MOODS, Entry
from webapp.journeys.models import Intention, Journey
from webapp.journeys.services import (
    days_since,
    entries_by_phase,
    get_settings,
    list_intentions,
    list_journeys,
    local_date,
    next_journey_after,
    zone_of,
)
from webapp.practices.models import WEEKDAY_NAMES, ChosenPractice, PracticeLog
from webapp.practices.services import weekly_counts
from webapp.support.models import SAFETY_PLAN_FIELDS, SafetyPlan
from webapp.types import utcnow

EXPORT_FORMAT = "tend-export"
EXPORT_VERSION = 1

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
        return self.days[-1][0].strftime("%-d %b") if self.days else ""


def _mood_y(value: float) -> float:
    inner = CHART_HEIGHT - PAD_TOP - PAD_BOTTOM
    return PAD_TOP + inner * (5 - value) / 4


def mood_chart(user: User, days: int = 90, moment: datetime | None = None) -> MoodChart:
    """Average mood per local day over the last ``days`` days."""
    moment = moment or utcnow()
    zone = zone_of(user)
    rows = db.session.execute(
        select(Entry.created_at, Entry.mood).where(
            Entry.user_id == user.id,
            Entry.deleted_at.is_(None),
            Entry.mood.is_not(None),
            Entry.created_at >= moment - timedelta(days=days),
        )
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


def entries_by_journey_and_phase(user: User) -> list[ArcSummary]:
    rows = db.session.execute(
        select(Entry.journey_id, Entry.phase).where(
            Entry.user_id == user.id, Entry.deleted_at.is_(None)
        )
    ).all()
    tally: dict[object, dict[str | None, int]] = defaultdict(lambda: defaultdict(int))
    for journey_id, phase in rows:
        tally[journey_id][phase] += 1
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


# --- Export ---------------------------------------------------------------------------------


def _iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _entry_record(entry: Entry) -> dict:
    return {
        "id": str(entry.id),
        "title": entry.title,
        "body": entry.body,
        "mood": entry.mood,
        "prompt_id": entry.prompt_id,
        "prompt": ALL_PROMPTS[entry.prompt_id].text if entry.prompt_id in ALL_PROMPTS else None,
        "journey_id": str(entry.journey_id) if entry.journey_id else None,
        "phase": entry.phase,
        "created_at": _iso(entry.created_at),
        "updated_at": _iso(entry.updated_at),
        "version": entry.version,
        "deleted_at": _iso(entry.deleted_at),
    }


def export_data(user: User, files: list | None = None) -> dict:
    """Everything Tend holds for this person, as plain JSON-ready data. Other capabilities
    add theirs (``export_gathering``): memos and pictures as ``files`` for the zip."""
    settings = get_settings(user)
    entries = db.session.scalars(
        select(Entry).where(Entry.user_id == user.id).order_by(Entry.created_at, Entry.id)
    )
    journeys = list_journeys(user)
    intentions = db.session.scalars(
        select(Intention).where(Intention.user_id == user.id).order_by(Intention.created_at)
    )
    chosen = list(
        db.session.scalars(select(ChosenPractice).where(ChosenPractice.user_id == user.id))
    )
    logs = db.session.scalars(
        select(PracticeLog).where(PracticeLog.user_id == user.id).order_by(PracticeLog.done_at)
    )
    logs_by_practice: dict[object, list[dict]] = defaultdict(list)
    for log in logs:
        logs_by_practice[log.chosen_practice_id].append(
            {
                "id": str(log.id),
                "done_on": _iso(log.done_on),
                "done_at": _iso(log.done_at),
                "note": log.note,
            }
        )
    plan = db.session.get(SafetyPlan, user.id)
    data = {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "exported_at": _iso(utcnow()),
        "account": {
            "email": user.email,
            "timezone": user.timezone,
            "created_at": _iso(user.created_at),
        },
        "settings": {
            "reflection_days": settings.reflection_days,
            "meaning_days": settings.meaning_days,
            "phase_override": settings.phase_override,
            "therapist_contact": settings.therapist_contact,
        },
        "journeys": [
            {
                "id": str(j.id),
                "started_at": _iso(j.started_at),
                "intention": j.intention,
                "setting_notes": j.setting_notes,
                "created_at": _iso(j.created_at),
                "updated_at": _iso(j.updated_at),
            }
            for j in reversed(journeys)
        ],
        "entries": [_entry_record(e) | {"media": []} for e in entries],
        "intentions": [
            {
                "id": str(i.id),
                "text": i.text,
                "status": i.status,
                "journey_id": str(i.journey_id) if i.journey_id else None,
                "entry_id": str(i.entry_id) if i.entry_id else None,
                "created_at": _iso(i.created_at),
                "updated_at": _iso(i.updated_at),
            }
            for i in intentions
        ],
        "practices": [
            {
                "id": str(c.id),
                "practice_id": c.practice_id,
                "name": PRACTICES_BY_ID[c.practice_id].name
                if c.practice_id in PRACTICES_BY_ID
                else None,
                "days": [WEEKDAY_NAMES[d] for d in c.weekday_list],
                "time": c.time_of_day.strftime("%H:%M") if c.time_of_day else None,
                "created_at": _iso(c.created_at),
                "done": logs_by_practice.get(c.id, []),
            }
            for c in chosen
        ],
        "safety_plan": (
            {name: getattr(plan, name) for name in SAFETY_PLAN_FIELDS}
            | {"updated_at": _iso(plan.updated_at)}
            if plan
            else None
        ),
    }
    export_gathering.send(user, data=data, files=files if files is not None else [])
    return data


def export_json(user: User) -> bytes:
    return json.dumps(export_data(user), ensure_ascii=False, indent=2).encode()


def _slug(text: str | None, fallback: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", (text or "").lower()).strip("-")[:40]
    return slug or fallback


def _local(value: str | None, user: User, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if not value:
        return ""
    return datetime.fromisoformat(value).astimezone(zone_of(user)).strftime(fmt)


def export_markdown_zip(user: User, files: list | None = None) -> bytes:
    """One Markdown file per entry and journey, plus intentions, practices and safety plan."""
    data = export_data(user, files)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "tend/README.md",
            "# Your Tend journal\n\n"
            f"Exported {_local(data['exported_at'], user)} ({user.timezone}).\n\n"
            "- `entries/`: one file per entry\n- `journeys/`: one file per journey\n"
            "- `intentions.md`, `practices.md`, `safety-plan.md`\n"
            "- `media/`: voice memos (AAC audio, `.m4a`), photos and drawings, linked from "
            "their entries\n- `tend.json`: everything above as data\n",
        )
        for entry in data["entries"]:
            if entry["deleted_at"]:
                continue
            day = _local(entry["created_at"], user, "%Y-%m-%d")
            name = f"tend/entries/{day}-{_slug(entry['title'], 'entry')}-{entry['id'][:8]}.md"
            lines = [f"# {entry['title'] or 'Entry of ' + day}", ""]
            lines.append(f"*Written {_local(entry['created_at'], user)}*")
            if entry["phase"] in PHASES:
                lines.append(f"*Phase: {PHASES[entry['phase']].name}*")
            if entry["mood"]:
                lines.append(f"*Mood: {MOODS[entry['mood']]}*")
            if entry["prompt"]:
                lines += ["", f"> {entry['prompt']}"]
            lines += ["", entry["body"], ""]
            for item in entry["media"]:
                if item["kind"] == "memo":
                    length = f"{int(item['duration_seconds'] or 0) // 60}:" \
                             f"{int(item['duration_seconds'] or 0) % 60:02d}"
                    lines.append(f"[Voice memo ({length})](../{item['file']})")
                else:
                    lines.append(f"![{item['kind'].capitalize()}](../{item['file']})")
            archive.writestr(name, "\n".join(lines) + ("\n" if entry["media"] else ""))
        for journey in data["journeys"]:
            day = _local(journey["started_at"], user, "%Y-%m-%d")
            lines = [f"# Journey of {day}", "", f"*{_local(journey['started_at'], user)}*", ""]
            lines += ["## Intention", "", journey["intention"] or "(none written)", ""]
            if journey["setting_notes"]:
                lines += ["## Setting", "", journey["setting_notes"], ""]
            archive.writestr(f"tend/journeys/{day}-{journey['id'][:8]}.md", "\n".join(lines))
        lines = ["# Intentions", ""]
        for intention in data["intentions"]:
            lines.append(f"- **{intention['status'].replace('_', ' ')}**: {intention['text']}")
        archive.writestr("tend/intentions.md", "\n".join(lines) + "\n")
        lines = ["# Practices", ""]
        for practice in data["practices"]:
            lines += [
                f"## {practice['name'] or practice['practice_id']}",
                "",
                f"{', '.join(practice['days'])}"
                + (f" at {practice['time']}" if practice["time"] else ""),
                "",
            ]
            for log in practice["done"]:
                lines.append(f"- {log['done_on']}" + (f": {log['note']}" if log["note"] else ""))
            lines.append("")
        archive.writestr("tend/practices.md", "\n".join(lines))
        lines = ["# My safety plan", ""]
        plan = data["safety_plan"] or {}
        for name, (label, _hint) in SAFETY_PLAN_FIELDS.items():
            lines += [f"## {label}", "", plan.get(name) or "", ""]
        archive.writestr("tend/safety-plan.md", "\n".join(lines))
        archive.writestr("tend/tend.json", json.dumps(data, ensure_ascii=False, indent=2))
    return buffer.getvalue()


def export_archive(user: User):
    """The Markdown zip with every memo, photo and drawing in it, streamed: media can reach
    gigabytes, so it is never held in memory."""
    files: list = []
    text = export_markdown_zip(user, files)
    return stream_zip(text, files)


# --- Integration brief ------------------------------------------------------------------------


@dataclass(frozen=True)
class PracticeDone:
    name: str
    times: int
    notes: list[str]


@dataclass(frozen=True)
class IntegrationBrief:
    journey: Journey
    until: Journey | None
    day: int
    groups: list
    practices: list[PracticeDone]
    intentions: list[Intention]
    therapist_contact: str | None


def integration_brief(
    user: User, journey: Journey, moment: datetime | None = None
) -> IntegrationBrief:
    """What to bring to an integration session: the arc from this journey to the next."""
    moment = moment or utcnow()
    following = next_journey_after(user, journey.started_at)
    end = following.started_at if following else None
    logs = [
        log
        for log in db.session.scalars(
            select(PracticeLog)
            .where(PracticeLog.user_id == user.id, PracticeLog.done_at >= journey.started_at)
            .order_by(PracticeLog.done_at)
        )
        if end is None or log.done_at < end
    ]
    chosen = {
        c.id: c
        for c in db.session.scalars(select(ChosenPractice).where(ChosenPractice.user_id == user.id))
    }
    done: dict[str, list] = defaultdict(list)
    for log in logs:
        practice = chosen.get(log.chosen_practice_id)
        name = (
            PRACTICES_BY_ID[practice.practice_id].name
            if practice and practice.practice_id in PRACTICES_BY_ID
            else "A practice"
        )
        done[name].append(log)
    practices = [
        PracticeDone(name, len(items), [log.note for log in items if log.note])
        for name, items in sorted(done.items())
    ]
    return IntegrationBrief(
        journey=journey,
        until=following,
        day=max(0, days_since(journey.started_at, min(moment, end or moment), zone_of(user))),
        groups=entries_by_phase(user, journey),
        practices=practices,
        intentions=list_intentions(user, journey),
        therapist_contact=get_settings(user).therapist_contact,
    )
