"""A person's integration settings: timezone, phase windows, a phase chosen by hand, and
their therapist's contact."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from webapp.auth.models import User
from webapp.calendar import TIMEZONES
from webapp.content import PHASES
from webapp.errors import ValidationError
from webapp.extensions import db
from webapp.journeys.arc import get_settings
from webapp.journeys.models import IntegrationSettings
from webapp.types import utcnow, whole_number

CONTACT_MAX = 2_000


@dataclass(frozen=True)
class SettingsInput:
    timezone: str
    reflection_days: int
    meaning_days: int
    phase_override: str | None
    therapist_contact: str | None


def _whole_number(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    value = whole_number(value)
    return value if isinstance(value, int) else None


def parse_settings_input(data: Mapping[str, object]) -> SettingsInput:
    errors: dict[str, str] = {}
    timezone = data.get("timezone")
    if not isinstance(timezone, str) or timezone.strip() not in TIMEZONES:
        errors["timezone"] = "Please choose a timezone from the list, like Europe/Berlin."
        timezone = "UTC"
    timezone = timezone.strip()

    reflection = _whole_number(data.get("reflection_days"))
    meaning = _whole_number(data.get("meaning_days"))
    if reflection is None or not 1 <= reflection <= 60:
        errors["reflection_days"] = "Immediate reflection lasts between 1 and 60 days."
    if meaning is None or not 2 <= meaning <= 365:
        errors["meaning_days"] = "Meaning-making ends between day 2 and day 365."
    elif reflection is not None and meaning <= reflection:
        errors["meaning_days"] = (
            f"Meaning-making has to end after immediate reflection does (after day {reflection})."
        )

    override = data.get("phase_override") or None
    if override is not None and override not in PHASES:
        errors["phase_override"] = "Choose one of the phases, or let Tend follow the days."

    contact = data.get("therapist_contact")
    if contact is None:
        contact = ""
    if not isinstance(contact, str):
        errors["therapist_contact"] = "The contact must be text."
        contact = ""
    contact = contact.strip()
    if len(contact) > CONTACT_MAX:
        errors["therapist_contact"] = f"Please keep this under {CONTACT_MAX:,} characters."

    if errors:
        raise ValidationError(errors)
    return SettingsInput(timezone, reflection, meaning, override, contact or None)


def save_settings(user: User, fields: SettingsInput) -> IntegrationSettings:
    settings = get_settings(user)
    user.timezone = fields.timezone
    settings.reflection_days = fields.reflection_days
    settings.meaning_days = fields.meaning_days
    settings.phase_override = fields.phase_override
    settings.therapist_contact = fields.therapist_contact
    settings.updated_at = utcnow()
    db.session.add(settings)
    db.session.commit()
    return settings
