"""The integration brief: what to bring to an integration session, from one journey to the
next: its entries by phase, practices done, intentions, and the therapist's contact."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from webapp.auth.models import User
from webapp.calendar import days_since, zone_of
from webapp.content import PRACTICES_BY_ID
from webapp.extensions import db
from webapp.insights.feelings import PhaseCapture, captures_by_phase
from webapp.intentions.models import Intention
from webapp.intentions.services import list_intentions
from webapp.journal.timeline import entries_by_phase
from webapp.journeys.arc import get_settings, next_journey_after
from webapp.journeys.models import Journey
from webapp.practices.models import ChosenPractice, PracticeLog
from webapp.types import utcnow


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
    captures: list[PhaseCapture] = ()  # feelings and the body, by phase


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
        captures=captures_by_phase(user, journey),
    )
