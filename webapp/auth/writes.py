"""A person's own write requests make their content version grow (see User.content_version).

The ORM notes what it changes (``webapp.auth.models``); a view may also write with a Core
statement the ORM never sees. Kept pages (webapp/web/ready_pages.py) must not outlive either.
"""

from __future__ import annotations

from flask import request
from flask_login import current_user

from webapp.auth.models import note_content_changed
from webapp.extensions import db

READS = frozenset({"GET", "HEAD", "OPTIONS"})


def note_writes_of_this_request(response):
    """After a signed-in person's write request, their content version grows: whatever the
    request changed (even by a statement the ORM never saw), no page made before is sent
    again. What the view left uncommitted after an error is rolled back first, as it would
    be anyway."""
    if request.method in READS or not current_user.is_authenticated:
        return response
    device = current_user.device_session
    if device is None:
        return response
    if response.status_code >= 400:
        db.session.rollback()
    note_content_changed(db.session, [device.user_id])
    db.session.commit()
    return response
