"""Everything a person has, to take away: JSON, and Markdown files in a zip."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections import defaultdict
from datetime import date, datetime

from sqlalchemy import select

from webapp.archives import stream_zip
from webapp.auth.models import User
from webapp.calendar import in_zone, zone_of
from webapp.content import (
    ALL_PROMPTS,
    BODY_QUALITIES,
    BODY_REGIONS,
    FEELINGS,
    MOODS,
    PHASES,
    PRACTICES_BY_ID,
    SAFETY_PLAN_FIELDS,
    WEEKDAY_NAMES,
)
from webapp.events import export_gathering
from webapp.extensions import db
from webapp.intentions.models import Intention
from webapp.journal.models import Entry
from webapp.journeys.arc import get_settings, list_journeys
from webapp.practices.models import ChosenPractice, PracticeLog
from webapp.support.models import SafetyPlan
from webapp.types import utcnow

EXPORT_FORMAT = "tend-export"
EXPORT_VERSION = 1


def _iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _entry_record(entry: Entry) -> dict:
    return {
        "id": str(entry.id),
        "title": entry.title,
        "body": entry.body,
        "mood": entry.mood,
        # What a gentle capture noted: ids from content.FEELING_FAMILIES and BODY_REGIONS.
        "feelings": entry.capture_data["feelings"],
        "body_map": entry.capture_data["body"],
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
    return in_zone(datetime.fromisoformat(value), zone_of(user)).strftime(fmt)


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
            if entry["feelings"]:
                lines.append("*Feelings: " + ", ".join(
                    FEELINGS.get(f["feeling"], f["feeling"]) for f in entry["feelings"]) + "*")
            for mark in entry["body_map"]:
                region = BODY_REGIONS.get(mark["region"])
                felt = ", ".join(BODY_QUALITIES.get(q, q).lower() for q in mark["qualities"])
                lines.append(f"*{region.name if region else mark['region']}"
                             + (f": {felt}*" if felt else "*"))
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
