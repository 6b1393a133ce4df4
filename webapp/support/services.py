"""Support: the host's crisis resources and the person's own safety plan."""

from __future__ import annotations

from collections.abc import Mapping

from webapp.auth.models import User
from webapp.content import SAFETY_PLAN_FIELDS
from webapp.errors import ValidationError
from webapp.extensions import db
from webapp.support.models import SafetyPlan
from webapp.types import utcnow

PLAN_FIELD_MAX = 5_000


def get_safety_plan(user: User) -> SafetyPlan:
    return db.session.get(SafetyPlan, user.id) or SafetyPlan(user_id=user.id)


def parse_safety_plan(data: Mapping[str, object]) -> dict[str, str | None]:
    errors: dict[str, str] = {}
    fields: dict[str, str | None] = {}
    for name, (label, _hint) in SAFETY_PLAN_FIELDS.items():
        value = data.get(name)
        if value is None or value == "":
            fields[name] = None
            continue
        if not isinstance(value, str):
            errors[name] = f"“{label}” must be text."
            continue
        value = value.replace("\r\n", "\n").strip()
        if len(value) > PLAN_FIELD_MAX:
            errors[name] = f"“{label}” can be up to {PLAN_FIELD_MAX:,} characters."
        fields[name] = value or None
    if errors:
        raise ValidationError(errors)
    return fields


def save_safety_plan(user: User, fields: Mapping[str, str | None]) -> SafetyPlan:
    plan = get_safety_plan(user)
    for name in SAFETY_PLAN_FIELDS:
        setattr(plan, name, fields.get(name))
    plan.updated_at = utcnow()
    db.session.add(plan)
    db.session.commit()
    return plan
