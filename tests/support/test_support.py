"""Support is one tap away everywhere; crisis lines can be replaced by the host; safety plan."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from tests.conftest import make_app
from webapp.extensions import db
from webapp.support.models import SafetyPlan
from webapp.support.resources import SupportFileError, load_support_resources


def test_support_is_linked_from_every_page_even_signed_out(client, alice):
    for browser, url in [
        (client, "/login"),
        (client, "/register"),
        (alice, "/"),
        (alice, "/journal"),
        (alice, "/practices"),
        (alice, "/settings"),
    ]:
        html = browser.get(url).get_data(as_text=True)
        assert 'class="support-link" href="/support"' in html, url


def test_default_resources_and_the_note_that_nobody_monitors(client):
    html = client.get("/support").get_data(as_text=True)
    assert "Nobody monitors what you write in Tend." in html
    assert "988 Suicide &amp; Crisis Lifeline" in html and 'href="tel:988"' in html
    assert "Text HOME to 741741" in html
    assert "Fireside Project" in html and "62-FIRESIDE" in html
    assert "Local emergency number" in html


def test_a_host_replaces_the_resources_with_a_json_file(schema, tmp_path):
    path = tmp_path / "support.json"
    path.write_text(
        json.dumps(
            {
                "resources": [
                    {
                        "name": "Samaritans",
                        "description": "Any time, day or night.",
                        "contact": "Call 116 123",
                        "href": "tel:116123",
                    },
                ]
            }
        )
    )
    local = make_app(schema, SUPPORT_FILE=str(path))
    html = local.test_client().get("/support").get_data(as_text=True)
    assert "Samaritans" in html and 'href="tel:116123"' in html
    assert "988" not in html


def test_a_host_can_use_toml_through_the_environment(schema, tmp_path, monkeypatch):
    path = tmp_path / "support.toml"
    path.write_text(
        '[[resources]]\nname = "Telefonseelsorge"\ncontact = "0800 111 0 111"\n'
        'href = "tel:08001110111"\n'
    )
    monkeypatch.setenv("TEND_SUPPORT_FILE", str(path))
    from webapp import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": schema, "TESTING": True})
    assert app.config["SUPPORT_FILE"] == str(path)
    html = app.test_client().get("/support").get_data(as_text=True)
    assert "Telefonseelsorge" in html and "988" not in html


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        json.dumps({"resources": []}),
        json.dumps({"resources": [{"name": "x"}]}),
        json.dumps({"resources": [{"name": "x", "contact": "y", "href": "javascript:alert(1)"}]}),
    ],
)
def test_a_broken_support_file_stops_start_up_with_a_clear_reason(tmp_path, content):
    path = tmp_path / "support.json"
    path.write_text(content)
    with pytest.raises(SupportFileError, match="support.json"):
        load_support_resources(path)


def test_safety_plan_edit_and_print(alice):
    assert alice.get("/support/safety-plan").status_code == 200
    response = alice.submit(
        "/support/safety-plan",
        {
            "warning_signs": "Not sleeping, pulling away from friends",
            "what_helps": "Cold water on my face; the walk by the canal",
            "people_places": "Sam (555-0101), the library",
            "professionals": "Dr. Rivera 555-0100",
        },
    )
    assert response.status_code == 302
    plan = db.session.scalar(select(SafetyPlan))
    assert plan.what_helps == "Cold water on my face; the walk by the canal"
    printable = alice.get("/support/safety-plan/print").get_data(as_text=True)
    assert "My safety plan" in printable and "Sam (555-0101), the library" in printable
    assert "Crisis lines" in printable and "988" in printable


def test_an_oversized_safety_plan_field_keeps_the_text_and_saves_nothing(alice):
    response = alice.submit(
        "/support/safety-plan", {"warning_signs": "w" * 6000, "what_helps": "breathing"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="warning_signs-error">“Warning signs” can be up to 5,000 characters.' in html
    assert ">breathing</textarea>" in html
    assert db.session.scalar(select(SafetyPlan)) is None


def test_the_safety_plan_needs_an_account(client):
    assert client.get("/support/safety-plan").location.startswith("/login")
