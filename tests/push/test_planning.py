"""What is sent when: journey arcs, practices and intentions, in each person's own day,
outside quiet hours, under the daily cap, paused when asked, and never twice."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from webapp import events
from webapp.extensions import db
from webapp.push import planning, schedules
from webapp.push.models import Reminder

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def local(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.astimezone(zone)


def reminders_of(user) -> list[Reminder]:
    return list(db.session.scalars(
        select(Reminder).where(Reminder.user_id == user.id).order_by(Reminder.ideal_at)
    ))


def test_a_journey_plans_seven_phase_check_ins_with_prompts_and_links(alice_user):
    journey = uuid.uuid4()
    # Alice (Berlin) journeys on a Tuesday at 10:00 local time.
    journey_at = datetime(2030, 3, 5, 10, 0, tzinfo=BERLIN)
    schedules.plan_journey_arc(alice_user, journey, journey_at)
    arc = reminders_of(alice_user)
    assert [r.key.rsplit(":", 1)[1] for r in arc] == ["2h", "24h", "72h", "1w", "2w", "1m", "3m"]
    offsets = [r.ideal_at - journey_at for r in arc]
    assert offsets == [timedelta(hours=2), timedelta(hours=24), timedelta(hours=72),
                       timedelta(weeks=1), timedelta(weeks=2), timedelta(days=30),
                       timedelta(days=91)]
    assert all(r.status == "pending" and r.kind == "journey_checkin" for r in arc)
    assert len({r.body for r in arc}) == 7, "each phase has its own prompt"
    assert "What did you feel" in arc[0].body
    assert "asking to shift" in arc[5].body
    assert all(r.url == f"/reminders/{r.id}/write" for r in arc)
    # 12:00 is outside quiet hours, so the first check-in is exactly two hours on.
    assert arc[0].due_at == journey_at + timedelta(hours=2)


def test_replanning_never_duplicates_and_an_edited_time_moves_the_arc(alice_user):
    journey = uuid.uuid4()
    first = datetime(2030, 3, 5, 10, 0, tzinfo=BERLIN)
    schedules.plan_journey_arc(alice_user, journey, first)
    ids = [r.id for r in reminders_of(alice_user)]
    schedules.plan_journey_arc(alice_user, journey, first)
    assert [r.id for r in reminders_of(alice_user)] == ids

    moved = datetime(2030, 3, 6, 11, 0, tzinfo=BERLIN)
    schedules.plan_journey_arc(alice_user, journey, moved)
    arc = reminders_of(alice_user)
    assert [r.id for r in arc] == ids
    assert arc[0].due_at == moved + timedelta(hours=2)
    assert db.session.scalar(select(func.count()).select_from(Reminder)) == 7


def test_a_sent_check_in_stays_sent_when_the_journey_is_edited(alice_user):
    journey = uuid.uuid4()
    at = datetime(2030, 3, 5, 10, 0, tzinfo=BERLIN)
    first = schedules.plan_journey_arc(alice_user, journey, at)[0]
    first.status = "sent"
    db.session.commit()
    schedules.plan_journey_arc(alice_user, journey, at + timedelta(hours=1))
    db.session.refresh(first)
    assert first.status == "sent"
    assert first.due_at == at + timedelta(hours=2)


def test_deleting_a_journey_cancels_what_has_not_gone_out(alice_user, bob_user):
    journey, other = uuid.uuid4(), uuid.uuid4()
    at = datetime(2030, 3, 5, 10, 0, tzinfo=BERLIN)
    arc = schedules.plan_journey_arc(alice_user, journey, at)
    schedules.plan_journey_arc(bob_user, other, at)
    arc[0].status = "sent"
    db.session.commit()
    assert schedules.cancel_journey_arc(journey) == 6
    statuses = [r.status for r in reminders_of(alice_user)]
    assert statuses == ["sent"] + ["cancelled"] * 6
    assert {r.status for r in reminders_of(bob_user)} == {"pending"}


def test_a_check_in_due_in_quiet_hours_waits_for_the_morning(alice_user):
    # A journey at 20:00 Berlin: +2 h is 22:00, inside the default 21:00-08:00 quiet hours.
    at = datetime(2030, 3, 5, 20, 0, tzinfo=BERLIN)
    arc = schedules.plan_journey_arc(alice_user, uuid.uuid4(), at)
    assert local(arc[0].ideal_at, BERLIN).hour == 22
    assert local(arc[0].due_at, BERLIN) == datetime(2030, 3, 6, 8, 0, tzinfo=BERLIN)
    # +24 h is 20:00 the next day: allowed as it is.
    assert arc[1].due_at == arc[1].ideal_at


def test_quiet_hours_follow_the_persons_timezone(alice_user, bob_user):
    bob_user.timezone = "America/New_York"
    db.session.commit()
    # 03:00 UTC is 04:00 in Berlin (quiet) but 22:00 the evening before in New York (quiet).
    moment = datetime(2030, 1, 10, 3, 0, tzinfo=UTC)
    for_alice = planning.place(alice_user, moment)
    for_bob = planning.place(bob_user, moment)
    assert local(for_alice, BERLIN) == datetime(2030, 1, 10, 8, 0, tzinfo=BERLIN)
    assert local(for_bob, NEW_YORK) == datetime(2030, 1, 10, 8, 0, tzinfo=NEW_YORK)
    assert for_bob - for_alice == timedelta(hours=6)


def test_quiet_hours_end_at_the_same_wall_clock_time_across_a_dst_change(bob_user):
    bob_user.timezone = "America/New_York"
    db.session.commit()
    # Clocks spring forward in New York on 10 March 2030; the morning is still 08:00 local.
    before = planning.place(bob_user, datetime(2030, 3, 10, 5, 0, tzinfo=UTC))  # 00:00 EST
    after = planning.place(bob_user, datetime(2030, 3, 11, 5, 0, tzinfo=UTC))  # 01:00 EDT
    assert local(before, NEW_YORK).time() == time(8, 0)
    assert local(after, NEW_YORK).time() == time(8, 0)
    assert before.hour == 12 and after.hour == 12, "08:00 EDT is 12:00 UTC"
    # Autumn: clocks fall back on 3 November 2030.
    autumn = planning.place(bob_user, datetime(2030, 11, 3, 5, 0, tzinfo=UTC))
    assert local(autumn, NEW_YORK).time() == time(8, 0) and autumn.hour == 13


def test_quiet_hours_ending_inside_the_spring_gap_never_send_early(bob_user):
    bob_user.timezone = "America/New_York"
    db.session.commit()
    planning.save_settings(bob_user, quiet_start=time(23, 0), quiet_end=time(2, 30))
    # 02:30 does not exist on 10 March 2030 in New York: the reminder goes at 03:30 EDT.
    placed = planning.place(bob_user, datetime(2030, 3, 10, 5, 30, tzinfo=UTC))  # 00:30 EST
    assert local(placed, NEW_YORK).time() == time(3, 30)
    assert placed == datetime(2030, 3, 10, 7, 30, tzinfo=UTC)


def test_quiet_hours_within_one_day_and_none_at_all(alice_user):
    planning.save_settings(alice_user, quiet_start=time(12, 0), quiet_end=time(14, 0))
    noon = datetime(2030, 1, 10, 12, 30, tzinfo=BERLIN)
    assert local(planning.place(alice_user, noon), BERLIN).time() == time(14, 0)
    planning.save_settings(alice_user, quiet_start=time(0, 0), quiet_end=time(0, 0))
    night = datetime(2030, 1, 10, 3, 0, tzinfo=BERLIN)
    assert planning.place(alice_user, night) == night


def test_the_daily_cap_moves_extra_reminders_to_the_next_day(alice_user):
    planning.save_settings(alice_user, daily_cap=2)
    day = datetime(2030, 1, 10, 9, 0, tzinfo=BERLIN)
    for n in range(3):
        planning.plan(alice_user, kind="practice", key=f"p:{n}", series="practice:breath",
                      ideal_at=day + timedelta(hours=n), title="Breathe", body="A few breaths.")
    db.session.commit()
    placed = [local(r.due_at, BERLIN) for r in reminders_of(alice_user)]
    assert placed[:2] == [day, day + timedelta(hours=1)]
    assert placed[2] == datetime(2030, 1, 11, 8, 0, tzinfo=BERLIN)


def test_the_cap_counts_a_day_in_the_persons_timezone(bob_user):
    bob_user.timezone = "America/New_York"
    db.session.commit()
    planning.save_settings(bob_user, daily_cap=1, quiet_start=time(0), quiet_end=time(0))
    # 23:00 in New York and 01:00 UTC the next day are the same local day for Bob.
    evening = datetime(2030, 1, 10, 23, 0, tzinfo=NEW_YORK)
    planning.plan(bob_user, kind="practice", key="a", series="practice:x",
                  ideal_at=evening - timedelta(hours=3), title="t", body="b")
    second = planning.plan(bob_user, kind="practice", key="b", series="practice:x",
                           ideal_at=evening, title="t", body="b")
    assert local(second.due_at, NEW_YORK).date() == evening.date() + timedelta(days=1)


def test_pausing_for_a_week_holds_everything_until_the_pause_ends(alice_user):
    now = datetime(2030, 1, 10, 9, 0, tzinfo=BERLIN)
    arc = schedules.plan_journey_arc(alice_user, uuid.uuid4(), now)
    assert arc[0].due_at == now + timedelta(hours=2)
    planning.pause_for_a_week(alice_user, now=now)
    paused_until = now + timedelta(days=7)
    waiting = [r for r in reminders_of(alice_user) if r.status == "pending"]
    assert all(r.due_at >= paused_until for r in waiting)
    # The first three check-ins fell inside the pause; the cap (3 a day) still holds after it.
    first_days = [local(r.due_at, BERLIN).date() for r in waiting[:4]]
    assert first_days.count(paused_until.astimezone(BERLIN).date()) <= 3
    planning.resume(alice_user)
    assert reminders_of(alice_user)[-1].due_at == reminders_of(alice_user)[-1].ideal_at


def test_a_kind_switched_off_is_not_planned_and_comes_back_when_switched_on(alice_user):
    far = datetime.now(UTC) + timedelta(days=2)
    planning.save_settings(alice_user, journey_checkin_on=False)
    arc = schedules.plan_journey_arc(alice_user, uuid.uuid4(), far)
    assert {r.status for r in arc} == {"cancelled"}
    planning.save_settings(alice_user, journey_checkin_on=True)
    assert {r.status for r in reminders_of(alice_user)} == {"pending"}


def test_practice_reminders_follow_the_weekly_schedule_in_local_time(bob_user):
    bob_user.timezone = "America/New_York"
    db.session.commit()
    now = datetime(2030, 3, 4, 12, 0, tzinfo=UTC)  # a Monday
    planned = schedules.plan_practice_reminders(bob_user, "breathwork", [0, 3], time(18, 30),
                                               now=now)
    locals_ = [local(r.due_at, NEW_YORK) for r in planned]
    assert [d.weekday() for d in locals_] == [0, 3, 0, 3, 0]
    assert {d.time() for d in locals_} == {time(18, 30)}, "same wall-clock time across DST"
    assert {d.utcoffset() for d in locals_} == {timedelta(hours=-5), timedelta(hours=-4)}
    # A new schedule cancels the days it no longer has and keeps the rest.
    again = schedules.plan_practice_reminders(bob_user, "breathwork", [3], time(18, 30), now=now)
    assert {r.id for r in again} <= {r.id for r in planned}
    statuses = {local(r.ideal_at, NEW_YORK).weekday(): set() for r in reminders_of(bob_user)}
    for r in reminders_of(bob_user):
        statuses[local(r.ideal_at, NEW_YORK).weekday()].add(r.status)
    assert statuses == {0: {"cancelled"}, 3: {"pending"}}


def test_intentions_are_revisited_now_and_then(alice_user):
    intention = uuid.uuid4()
    set_at = datetime(2030, 1, 10, 10, 0, tzinfo=BERLIN)
    planned = schedules.plan_intention_revisits(alice_user, intention, set_at)
    assert [r.ideal_at - set_at for r in planned] == [
        timedelta(days=3), timedelta(weeks=2), timedelta(weeks=6)]
    assert schedules.plan_intention_revisits(alice_user, intention, set_at)[0].id == planned[0].id
    assert schedules.cancel_intention_revisits(intention) == 3


def test_snoozing_brings_a_reminder_back_in_an_hour_outside_quiet_hours(alice_user):
    reminder = schedules.plan_test_reminder(alice_user)
    reminder.status = "sent"
    db.session.commit()
    afternoon = datetime(2030, 1, 10, 15, 0, tzinfo=BERLIN)
    planning.snooze(reminder, now=afternoon)
    assert reminder.status == "pending" and reminder.due_at == afternoon + timedelta(hours=1)
    late = datetime(2030, 1, 10, 20, 30, tzinfo=BERLIN)
    planning.snooze(reminder, now=late)
    assert local(reminder.due_at, BERLIN) == datetime(2030, 1, 11, 8, 0, tzinfo=BERLIN)


def test_two_people_with_the_same_practice_keep_their_own_schedules(alice_user, bob_user):
    now = datetime(2030, 3, 4, 12, 0, tzinfo=UTC)
    mine = schedules.plan_practice_reminders(alice_user, "breathwork", [1], time(9, 0), now=now)
    theirs = schedules.plan_practice_reminders(bob_user, "breathwork", [2], time(9, 0), now=now)
    assert {r.user_id for r in mine} == {alice_user.id}
    assert {r.user_id for r in theirs} == {bob_user.id}
    schedules.plan_practice_reminders(bob_user, "breathwork", [], time(9, 0), now=now)
    assert {r.status for r in reminders_of(alice_user)} == {"pending"}
    assert {r.status for r in reminders_of(bob_user)} == {"cancelled"}


def test_daily_planners_look_ahead_and_one_failing_does_not_stop_the_others(
    push_app, alice_user
):
    calls = []

    def practices_ahead(sender, **_):
        calls.append("practices")
        schedules.plan_practice_reminders(alice_user, "walk", [0, 1, 2, 3, 4, 5, 6], time(17, 0))

    def broken(sender, **_):
        calls.append("broken")
        raise RuntimeError("this planner is broken")

    runner = push_app.test_cli_runner()
    with events.daily_upkeep.connected_to(broken), \
            events.daily_upkeep.connected_to(practices_ahead):
        every = len(list(events.daily_upkeep.receivers_for(None)))
        result = runner.invoke(args=["reminders", "plan-ahead"])
    assert result.exit_code == 0 and f"{every - 1} planner(s) ran." in result.output
    assert sorted(calls) == ["broken", "practices"], "every planner ran, whatever the order"
    assert len(reminders_of(alice_user)) >= 14
