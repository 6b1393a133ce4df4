"""SQL the dispatcher runs often, made cheap on PostgreSQL: arrays sent as one parameter, and
the statements of every batch written out as SQL (``run``), so none is built, compiled or
has its rows converted again for each batch. SQLite, with a single writer and small data,
runs the same steps through SQLAlchemy's expressions.
"""

from __future__ import annotations

import uuid

from sqlalchemy import Text, bindparam, cast
from sqlalchemy.dialects.postgresql import ARRAY

from webapp.extensions import db
from webapp.push.models import Delivery, PushSubscription, Reminder

R = Reminder.__table__
S = PushSubscription.__table__
D = Delivery.__table__
PLAIN_TYPES = {uuid.UUID, int}


def on_postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def array_literal(values) -> str:
    """A PostgreSQL array as one text literal, cast on the server: much cheaper than the
    driver adapting every element, and one short, cacheable statement instead of a
    placeholder per value."""
    values = list(values)
    if set(map(type, values)) <= PLAIN_TYPES:
        return "{" + ",".join(map(str, values)) + "}"  # nothing in them needs quoting
    items = []
    for value in values:
        if value is None:
            items.append("NULL")
        else:
            text = str(value).replace("\\", "\\\\").replace('"', '\\"')
            items.append(f'"{text}"')
    return "{" + ",".join(items) + "}"


def id_array(ids) -> str:
    """Ids as a PostgreSQL array literal: UUIDs, or uuid text as the statements below read
    it (people's and devices' ids: hex digits and dashes only, so never quoted; the
    ``::uuid[]`` cast refuses anything else)."""
    return "{" + ",".join(map(str, ids)) + "}"


def pg_array(values, element_type):
    """``array_literal(values)`` as an array of ``element_type`` in an expression."""
    return cast(bindparam(None, array_literal(values), type_=Text()), ARRAY(element_type))


def run(statement: str, **params):
    """One of the statements below, on the session's connection and in its transaction
    (PostgreSQL only): sent as written, rows as the driver reads them."""
    return db.session.connection().exec_driver_sql(statement, params)


GIVE_UP = """
UPDATE reminders SET
  status = CASE WHEN EXISTS (SELECT 1 FROM push_deliveries d
                             WHERE d.reminder_id = reminders.id AND d.outcome = 'sent')
           THEN 'sent' ELSE 'failed' END,
  last_error = %(last_error)s, lease_expires_at = NULL, updated_at = %(now)s
WHERE status IN ('pending', 'leased') AND next_attempt_at <= %(now)s
  AND attempts >= %(max_attempts)s
"""

CLAIM = """
UPDATE reminders SET status = 'leased', lease_expires_at = %(lease_end)s,
  next_attempt_at = %(lease_end)s, fencing_token = fencing_token + 1,
  attempts = attempts + 1, updated_at = %(now)s
WHERE id IN (SELECT id FROM reminders
             WHERE status IN ('pending', 'leased') AND next_attempt_at <= %(now)s
               AND attempts < %(max_attempts)s
             ORDER BY next_attempt_at LIMIT %(limit)s FOR UPDATE SKIP LOCKED)
RETURNING id, fencing_token, user_id::text, kind, title, body, url, attempts, due_at
"""

# Each person with their reminder settings (settings_of is NULL when they have none).
PEOPLE = """
SELECT u.id::text AS id, u.timezone, u.disabled_at, s.user_id AS settings_of, s.quiet_start,
  s.quiet_end, s.daily_cap, s.paused_until, s.journey_checkin_on, s.practice_on,
  s.intention_on
FROM users u LEFT JOIN reminder_settings s ON s.user_id = u.id
WHERE u.id = ANY(%(ids)s::uuid[])
"""

DEVICES = """
SELECT id::text AS id, user_id::text AS user_id, endpoint, p256dh, auth FROM push_subscriptions
WHERE user_id = ANY(%(ids)s::uuid[])
"""

DELIVERED = """
SELECT reminder_id, subscription_id::text FROM push_deliveries
WHERE reminder_id = ANY(%(ids)s::uuid[]) AND outcome = 'sent'
"""

SENT_SINCE = """
SELECT r.user_id::text, r.id, d.attempted_at
FROM reminders r JOIN push_deliveries d ON d.reminder_id = r.id
WHERE r.user_id = ANY(%(ids)s::uuid[]) AND r.kind <> 'test' AND d.outcome = 'sent'
  AND d.attempted_at >= %(since)s
"""


def verdict_update(sent: bool, moved: bool, attempts_back: bool) -> str:
    """Set one verdict on the claims given as arrays, where their fencing token is current."""
    also = "".join((
        ", sent_at = %(now)s" if sent else "",
        ", next_attempt_at = %(next_attempt_at)s" if moved else "",
        ", due_at = %(next_attempt_at)s" if moved and attempts_back else "",
    ))
    return f"""
UPDATE reminders SET status = %(status)s, last_error = %(last_error)s,
  lease_expires_at = NULL, updated_at = %(now)s, attempts = attempts - %(attempts_back)s{also}
FROM unnest(%(ids)s::uuid[], %(tokens)s::int[]) AS claimed(id, token)
WHERE reminders.id = claimed.id AND reminders.fencing_token = claimed.token
  AND reminders.status = 'leased'
RETURNING reminders.id
"""  # noqa: S608 (only fixed column names are joined in; every value is a parameter)


INSERT_DELIVERIES = """
INSERT INTO push_deliveries (reminder_id, subscription_id, attempted_at, outcome,
  status_code, detail)
SELECT reminder, device, %(now)s, %(outcome)s, %(status_code)s::smallint, detail
FROM unnest(%(reminders)s::uuid[], %(devices)s::uuid[], %(details)s::text[])
  AS answered(reminder, device, detail)
"""

LAST_OUTCOME = """
UPDATE push_subscriptions SET last_outcome = %(outcome)s,
  last_status_code = %(status_code)s::smallint, last_outcome_at = %(now)s
WHERE id = ANY(%(ids)s::uuid[])
"""

FORGET_DEVICES = "DELETE FROM push_subscriptions WHERE id = ANY(%(ids)s::uuid[])"
