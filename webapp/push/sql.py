"""SQL the dispatcher runs often, made cheap on PostgreSQL: arrays sent as one parameter."""

from __future__ import annotations

import uuid

from sqlalchemy import Integer, Text, any_, bindparam, cast, func, select, tuple_
from sqlalchemy.dialects.postgresql import ARRAY

from webapp.extensions import db
from webapp.push.models import Delivery, PushSubscription, Reminder

R = Reminder.__table__
S = PushSubscription.__table__
D = Delivery.__table__


def on_postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def pg_array(values, element_type):
    """A PostgreSQL array parameter sent as one text literal and cast on the server: much
    cheaper than the driver adapting every element, and one short, cacheable statement
    instead of a placeholder per value."""
    if all(isinstance(value, uuid.UUID | int) for value in values):
        literal = "{" + ",".join(map(str, values)) + "}"  # nothing in them needs quoting
    else:
        items = []
        for value in values:
            if value is None:
                items.append("NULL")
            else:
                text = str(value).replace("\\", "\\\\").replace('"', '\\"')
                items.append(f'"{text}"')
        literal = "{" + ",".join(items) + "}"
    return cast(bindparam(None, literal, type_=Text()), ARRAY(element_type))


def among(column, values, pg: bool):
    """``column IN values``; on PostgreSQL ``column = ANY(array)``."""
    values = list(values)
    if pg:
        return column == any_(pg_array(values, column.type))
    return column.in_(values)


def claimed_pairs(pairs: list[tuple], pg: bool):
    """``(id, fencing_token)`` is one of ``pairs``: how an outcome proves its claim is current."""
    if pg:
        rows = func.unnest(
            pg_array([p[0] for p in pairs], R.c.id.type),
            pg_array([p[1] for p in pairs], Integer()),
        ).table_valued("id", "token").render_derived()
        return tuple_(R.c.id, R.c.fencing_token).in_(select(rows.c.id, rows.c.token))
    return tuple_(R.c.id, R.c.fencing_token).in_(pairs)
