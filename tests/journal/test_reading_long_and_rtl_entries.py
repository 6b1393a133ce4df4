"""Reading the journal as a new user did: a very long entry does not swamp the timeline,
right-to-left text is laid out right to left, and an entry's own page has a heading."""

from __future__ import annotations

import re

from tests.arc import person
from webapp.journal import services as journal

LONG = ("A long night of letting go. " * 1600)[:43_000]


def write(words: str, title: str | None = None):
    fields = journal.parse_entry_input({"body": words, "title": title})
    return journal.create_entry(person("alice@example.org"), fields)


def test_a_long_entry_shows_its_beginning_and_read_more(alice):
    entry = write(LONG)
    page = alice.get("/journal").get_data(as_text=True)
    card = page[page.index(f'id="entry-{entry.id}"'):]
    card = card[: card.index("</li>")]
    assert len(card) < 3_000, "the whole entry is in the timeline"
    assert "Read more" in card and f'href="/entries/{entry.id}"' in card
    assert "43,000 characters" in card
    whole = alice.get(f"/entries/{entry.id}").get_data(as_text=True)
    assert LONG in whole and "Read more" not in whole


def test_a_short_entry_is_shown_whole(alice):
    write("Short and whole.")
    page = alice.get("/journal").get_data(as_text=True)
    assert "Short and whole." in page and "Read more" not in page


def test_the_single_entry_page_has_one_h1_with_the_title_or_the_day(alice):
    titled = write("Words.", title="After the rain")
    untitled = write("More words.")
    page = alice.get(f"/entries/{titled.id}").get_data(as_text=True)
    assert re.findall(r"<h1[^>]*>(.*?)</h1>", page) == ["After the rain"]
    assert '<h2 class="entry-title"' not in page
    page = alice.get(f"/entries/{untitled.id}").get_data(as_text=True)
    [heading] = re.findall(r"<h1[^>]*>(.*?)</h1>", page)
    assert heading.startswith("Entry of ")


def test_text_fields_and_written_text_follow_the_writing_direction(alice):
    hebrew = "שלום, היום הרגשתי שקט"
    entry = write(hebrew, title="ערב")
    alice.submit("/intentions", {"text": "לנשום לאט"})
    for path in ["/journal", f"/entries/{entry.id}", f"/entries/{entry.id}/edit", "/",
                 "/intentions", "/support/safety-plan", "/settings", "/journeys/new",
                 "/journeys/prepare", "/practices/choose/integration-session"]:
        page = alice.get(path).get_data(as_text=True)
        fields = re.findall(r'<(?:textarea|input)\b[^>]*>', page)
        typed = [f for f in fields if "<textarea" in f or re.search(r'type="(text|search)"', f)]
        without = [f for f in typed if 'dir="auto"' not in f and 'name="timezone"' not in f]
        assert without == [], (path, without)
    page = alice.get("/journal").get_data(as_text=True)
    assert f'<div class="entry-body" dir="auto">{hebrew}</div>' in page
    assert '<h2 class="entry-title" dir="auto">ערב</h2>' in page
    assert '<p class="entry-body" dir="auto">לנשום לאט</p>' in alice.get("/intentions").get_data(
        as_text=True
    )


def test_entry_text_boxes_know_the_limit_a_counter_shows_near(alice):
    for path in ["/journal", "/", "/write"]:
        page = alice.get(path).get_data(as_text=True)
        assert 'data-max="50000"' in page, path
