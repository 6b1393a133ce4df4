"""Every integration page renders without inline styles or scripts, which the CSP would block."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.arc import log_journey, person
from webapp.extensions import db
from webapp.intentions.models import Intention
from webapp.practices.models import ChosenPractice

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)


@pytest.mark.slow
def test_no_inline_style_or_script_on_any_new_page(alice):
    journey = log_journey(person("alice@example.org"), datetime.now(UTC) - timedelta(days=1), "x")
    alice.submit("/practices", {"practice": "poetry", "days": ["0", "1", "2", "3", "4", "5", "6"]})
    chosen = db.session.scalar(select(ChosenPractice))
    alice.submit("/entries", {"body": "a mood", "mood": "3"})
    alice.submit(f"/practices/{chosen.id}/done")
    alice.submit("/intentions", {"text": "x", "journey_id": str(journey.id)})
    intention = db.session.scalar(select(Intention))
    urls = [
        "/",
        "/journeys",
        "/journeys/new",
        "/journeys/prepare",
        f"/journeys/{journey.id}",
        f"/journeys/{journey.id}/edit",
        f"/journeys/{journey.id}/brief",
        f"/journeys/{journey.id}/delete",
        "/intentions",
        f"/intentions/{intention.id}/edit",
        "/settings",
        "/more",
        "/practices",
        "/practices/choose/altar",
        f"/practices/{chosen.id}",
        f"/practices/{chosen.id}/schedule",
        "/support",
        "/support/safety-plan",
        "/support/safety-plan/print",
        "/insights",
        "/export",
    ]
    for url in urls:
        response = alice.get(url)
        html = response.get_data(as_text=True)
        assert response.status_code == 200, url
        assert "style=" not in html and "<style" not in html, url
        assert not INLINE_SCRIPT.search(html), url
        assert " on" + "click=" not in html, url
        assert response.headers["Cache-Control"] == "no-store", url
