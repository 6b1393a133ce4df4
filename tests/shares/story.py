"""A person's arc with entries in every phase, and sharing it the way the pages do."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from tests.arc import log_journey, person
from webapp.extensions import db
from webapp.journal.models import Entry
from webapp.journeys.models import Journey
from webapp.types import utcnow

LINK = re.compile(r'id="share-link" class="share-link" value="([^"]+)"')
# (title word, day of the arc, phase): two reflections, a meaning-making, an embodiment.
ARC = [("heron", 1, "reflection"), ("river", 2, "reflection"), ("lantern", 6, "meaning"),
       ("garden", 16, "embodiment")]


@dataclass
class Arc:
    journey: Journey
    entries: dict[str, Entry]
    outsider: Entry  # written before the journey, in no arc

    def ids(self, *names: str) -> list[str]:
        return [str(self.entries[name].id) for name in names]


def write_arc(email: str = "alice@example.org", marker: str = "") -> Arc:
    owner = person(email)
    start = utcnow() - timedelta(days=20)
    journey = log_journey(owner, start, intention=f"To listen {marker}".strip())
    journey.setting_notes = "Clinic room, the cello playlist."
    entries = {}
    for word, day, phase in ARC:
        entries[word] = Entry(
            user_id=owner.id, title=f"The {word}", body=f"I wrote about the {word}. {marker}".strip(),
            mood=4, created_at=start + timedelta(days=day, hours=2),
            updated_at=start + timedelta(days=day, hours=2), journey_id=journey.id, phase=phase,
            prompt_id="core-feel",
        )
    outsider = Entry(user_id=owner.id, title="Before everything", body="An outsider entry.",
                     created_at=start - timedelta(days=3), updated_at=start - timedelta(days=3))
    db.session.add_all([*entries.values(), outsider])
    db.session.commit()
    return Arc(journey, entries, outsider)


def make_link(client, **form) -> str:
    """Make a link through the options form, as the page does; return the link shown once."""
    data = {"sharer_name": "Sam", "expires_days": "7", **form}
    response = client.submit("/shares/new/link", data)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    match = LINK.search(response.get_data(as_text=True))
    assert match, "the page shows the link"
    return match.group(1)


def split(link: str) -> tuple[str, str]:
    """The link's path (what a browser requests) and its secret (what stays after '#')."""
    parts = urlsplit(link)
    return parts.path, parts.fragment


def open_link(client, link: str, **extra):
    path, secret = split(link)
    return client.post(path, data={"secret": secret, **extra})
