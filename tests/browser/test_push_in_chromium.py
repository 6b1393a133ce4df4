"""Reminders in a real Chromium: the settings page, a push delivered through DevTools shown as
a notification by the service worker, a tap opening the prompt, and "Later" snoozing."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from webapp.auth.services import find_user_by_email
from webapp.extensions import db
from webapp.push import schedules
from webapp.push.dispatcher import make_dispatcher
from webapp.push.models import Reminder
from webapp.types import utcnow

pytestmark = pytest.mark.browser

WORKER = "/static/js/sw-push.js"


def sign_up(page, email: str) -> None:
    page.goto("/register")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("slow breath, long exhale")
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/")


def register_worker(page) -> None:
    """Tend's own /sw.js imports sw-push.js; here the push part is registered on its own."""
    state = page.evaluate(
        """async (url) => {
            const registration = await navigator.serviceWorker.register(url);
            const worker = registration.installing || registration.waiting || registration.active;
            if (worker.state !== "activated") {
              await new Promise((resolve) => worker.addEventListener("statechange", () => {
                if (worker.state === "activated") resolve();
              }));
            }
            return registration.active.state;
        }""",
        WORKER,
    )
    assert state == "activated"


def deliver_reminder(cdp, page, push: dict) -> list:
    """Deliver a reminder's push and return the notifications then shown. A worker may miss
    a push, as a phone's may (one registered a moment ago, or a busy browser): the push
    service sends it again, once here. The same tag replaces, never adds, a notification."""
    cdp.send("ServiceWorker.deliverPushMessage", push)
    shown = wait_for(page, lambda: notifications(page), seconds=10)
    if not shown:
        cdp.send("ServiceWorker.deliverPushMessage", push)
        shown = wait_for(page, lambda: notifications(page))
    return shown


def wait_for(page, condition, seconds: float = 20):
    """Poll ``condition`` while letting the browser work; return its last value."""
    value = condition()
    for _ in range(int(seconds * 10)):
        if value:
            return value
        page.wait_for_timeout(100)
        value = condition()
    return value


def registration_id(cdp, page, scope: str) -> str:
    found: dict[str, str] = {}

    def on_update(event):
        for registration in event["registrations"]:
            if registration["scopeURL"] == scope and not registration.get("isDeleted"):
                found["id"] = registration["registrationId"]

    cdp.on("ServiceWorker.workerRegistrationUpdated", on_update)
    cdp.send("ServiceWorker.enable")
    if wait_for(page, lambda: "id" in found):
        return found["id"]
    raise AssertionError(f"no service worker registration for {scope}")


def notifications(page) -> list[dict]:
    return page.evaluate(
        """async (url) => {
            const registration = await navigator.serviceWorker.getRegistration(url);
            const shown = await registration.getNotifications();
            return shown.map((n) => ({title: n.title, body: n.body, tag: n.tag, icon: n.icon,
              badge: n.badge, data: n.data, actions: n.actions.map((a) => a.title)}));
        }""",
        WORKER,
    )


def click_notification(context, action: str) -> str:
    """DevTools cannot click a system notification, so the worker receives the same
    NotificationEvent a click would dispatch, for the notification it is showing."""
    [worker] = [w for w in context.service_workers if w.url.endswith(WORKER)]
    outcome = worker.evaluate(
        """async (action) => {
            const [notification] = await self.registration.getNotifications();
            const click = new NotificationEvent("notificationclick", {notification, action});
            self.dispatchEvent(click);
            try {
              await self.tendLastClick;
              return "done";
            } catch (error) {
              return String(error);
            }
        }""",
        action,
    )
    return outcome


def payload_for(app, reminder: Reminder, base_url: str) -> str:
    """Exactly what the dispatcher encrypts for this reminder."""
    app.config["PUBLIC_URL"] = base_url
    dispatcher = make_dispatcher(app)
    try:
        from webapp.push.claims import Claim

        claim = Claim(reminder.id, 1, reminder.user_id, reminder.kind, reminder.title,
                      reminder.body, reminder.url, 1)
        return dispatcher._payload(claim).decode()
    finally:
        dispatcher.sender.close()


def test_a_pushed_reminder_is_shown_and_a_tap_opens_its_prompt(
    browser, live_server, app, tmp_path
):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True, base_url=live_server.url)
    context.grant_permissions(["notifications"], origin=live_server.url)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.on("console", lambda m: errors.append(m.text)
            if m.type == "error" and "Content Security Policy" in m.text else None)
    sign_up(page, "dawn@example.org")

    # The settings page offers the button (Chromium supports Web Push).
    page.get_by_role("link", name="More").click()
    page.get_by_role("link", name="Gentle reminders").click()
    expect(page.get_by_role("heading", name="Gentle reminders")).to_be_visible()
    expect(page.get_by_role("button", name="Turn on reminders on this device")).to_be_visible()
    expect(page.get_by_text("needs JavaScript")).to_be_hidden()
    expect(page.get_by_label("Name this device")).to_have_value("Chrome on Linux")
    page.screenshot(path=str(tmp_path / "reminders.png"), full_page=True)

    user = find_user_by_email("dawn@example.org")
    [reminder, *_] = schedules.plan_journey_arc(user, "journey-1", utcnow() - timedelta(hours=2))

    register_worker(page)
    cdp = context.new_cdp_session(page)
    worker_id = registration_id(cdp, page, f"{live_server.url}/static/js/")
    push = {"origin": live_server.url, "registrationId": worker_id,
            "data": payload_for(app, reminder, live_server.url)}
    shown = deliver_reminder(cdp, page, push)
    assert len(shown) == 1, shown
    prompt_url = f"{live_server.url}/reminders/{reminder.id}/write"
    assert shown == [{
        "title": "A soft landing",
        "body": reminder.body,
        "tag": f"tend-journey_checkin-{reminder.id}",
        "icon": f"{live_server.url}/static/img/reminder-icon.png",
        "badge": f"{live_server.url}/static/img/reminder-badge.png",
        "data": {"url": prompt_url, "reminder": str(reminder.id),
                 "snooze": f"{live_server.url}/reminders/snooze",
                 "token": shown[0]["data"]["token"]},
        "actions": ["Write now", "Later"],
    }]

    # A push without usable data still shows a notification (silent pushes get revoked).
    cdp.send("ServiceWorker.deliverPushMessage", {
        "origin": live_server.url, "registrationId": worker_id,
        "data": "not json"})
    wait_for(page, lambda: len(notifications(page)) == 2)
    assert {n["title"] for n in notifications(page)} == {"A soft landing", "Tend"}
    page.evaluate("""async (url) => {
        const registration = await navigator.serviceWorker.getRegistration(url);
        for (const n of await registration.getNotifications({tag: "tend-reminder"})) n.close();
    }""", WORKER)

    # Tapping it brings the open Tend window to the prompt.
    assert click_notification(context, "") == "done"
    page.wait_for_url(prompt_url)
    expect(page.get_by_role("heading", name="A soft landing")).to_be_visible()
    expect(page.get_by_text(reminder.body)).to_be_visible()
    expect(page.get_by_label("What is here for you today?")).to_be_visible()
    assert notifications(page) == [], "the tapped notification is closed"

    # "Later" on the next one asks the server to bring it back in an hour.
    assert len(deliver_reminder(cdp, page, {
        "origin": live_server.url, "registrationId": worker_id,
        "data": payload_for(app, reminder, live_server.url)})) == 1
    reminder.status = "sent"
    db.session.commit()
    assert click_notification(context, "later") == "done"
    db.session.expire_all()
    snoozed = db.session.get(Reminder, reminder.id)
    assert snoozed.status == "pending"
    assert snoozed.due_at - utcnow() > timedelta(minutes=59)
    assert page.url == prompt_url, "Later does not navigate"
    assert errors == []
    context.close()


def test_permission_denied_explains_how_to_allow_it_again(browser, live_server):
    context = browser.new_context(base_url=live_server.url)
    context.grant_permissions([], origin=live_server.url)
    page = context.new_page()
    sign_up(page, "dusk@example.org")
    cdp = context.new_cdp_session(page)
    cdp.send("Browser.setPermission", {
        "permission": {"name": "notifications"}, "setting": "denied",
        "origin": live_server.url})
    page.goto("/settings/reminders")
    expect(page.get_by_text("Notifications are blocked for Tend")).to_be_visible()
    expect(page.get_by_role("button", name="Turn on reminders on this device")).to_be_hidden()
    context.close()


def test_an_iphone_browser_not_on_the_home_screen_gets_the_steps(browser, live_server):
    iphone = ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_4 like Mac OS X) AppleWebKit/605.1.15 "
              "(KHTML, like Gecko) Version/18.4 Mobile/15E148 Safari/604.1")
    context = browser.new_context(base_url=live_server.url, user_agent=iphone,
                                  viewport={"width": 390, "height": 844})
    # Safari outside the Home Screen has no PushManager.
    context.add_init_script(script="delete window.PushManager;")
    page = context.new_page()
    sign_up(page, "iris@example.org")
    page.goto("/settings/reminders")
    expect(page.get_by_text("Add to Home Screen")).to_be_visible()
    expect(page.get_by_role("button", name="Turn on reminders on this device")).to_be_hidden()
    context.close()


def test_subscribing_from_the_page_then_a_test_reminder_arrives(browser, live_server, app):
    """The button asks for permission, subscribes with Tend's key, posts the subscription
    with the CSRF header, and lists the device; "Send a test reminder" then reaches it.

    This Chromium has no push service of its own (no network), so only the step where the
    browser registers with a push service answers with a subscription at the local push
    service double; everything else is the real page, server and dispatcher.
    """
    from tests.push.push_double import PushDouble
    from webapp.push.vapid import application_server_key, vapid_for

    for served in (live_server.app, app):  # the page's server, and the dispatcher's app
        served.config["PUSH_ALLOW_HTTP_ENDPOINTS"] = True
        served.config["PUSH_ALLOW_LOOPBACK_ENDPOINTS"] = True
    key = application_server_key(vapid_for(app))
    with PushDouble(key) as push_service:
        subscriber = push_service.new_subscriber()
        subscription = subscriber.subscription_json()
        del subscription["device_label"]
        context = browser.new_context(base_url=live_server.url)
        context.grant_permissions(["notifications"], origin=live_server.url)
        fake_subscribe = """
            PushManager.prototype.subscribe = async function (options) {
              const bytes = new Uint8Array(options.applicationServerKey);
              window.__askedWith = {
                userVisibleOnly: options.userVisibleOnly,
                key: btoa(String.fromCharCode(...bytes)).replace(/\\+/g, "-")
                  .replace(/\\//g, "_").replace(/=+$/, ""),
              };
              return { toJSON: () => (SUBSCRIPTION) };
            };"""
        context.add_init_script(
            script=fake_subscribe.replace("SUBSCRIPTION", json.dumps(subscription)))
        page = context.new_page()
        sign_up(page, "sky@example.org")
        page.goto("/settings/reminders")
        page.get_by_label("Name this device").fill("Test laptop")
        page.get_by_role("button", name="Turn on reminders on this device").click()
        expect(page.get_by_text("This device receives reminders.")).to_be_visible()
        expect(page.locator("#devices")).to_contain_text("Test laptop")
        asked = page.evaluate("() => window.__askedWith")
        assert asked == {"userVisibleOnly": True, "key": key}

        page.get_by_role("button", name="Send a test reminder").click()
        expect(page.get_by_text("A test reminder is on its way.")).to_be_visible()
        dispatcher = make_dispatcher(app)
        try:
            assert dispatcher.run_once() == 1
        finally:
            dispatcher.sender.close()
        assert push_service.problems == []
        [received] = push_service.received
        assert received.message["notification"]["title"] == "Tend is with you"
        page.reload()
        expect(page.locator("#devices")).to_contain_text("Last reminder: delivered")

        page.get_by_role("button", name="Remove Test laptop").click()
        expect(page.get_by_text("No device receives reminders yet.")).to_be_visible()
        context.close()


def test_the_reminders_page_fits_a_360px_screen(browser, live_server, tmp_path):
    context = browser.new_context(viewport={"width": 360, "height": 740},
                                  base_url=live_server.url)
    context.grant_permissions(["notifications"], origin=live_server.url)
    page = context.new_page()
    sign_up(page, "narrow@example.org")
    user = find_user_by_email("narrow@example.org")
    schedules.plan_journey_arc(user, "journey-2", utcnow())
    page.goto("/settings/reminders")
    expect(page.get_by_role("button", name="Turn on reminders on this device")).to_be_visible()
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"page is {overflow}px wider than the screen"
    small = page.evaluate(
        """() => [...document.querySelectorAll(
              'main button, main input:not([type=hidden]):not([type=checkbox]), main select')]
            .filter((el) => el.offsetParent !== null)
            .filter((el) => el.getBoundingClientRect().height < 44)
            .map((el) => el.outerHTML.slice(0, 80))"""
    )
    assert small == []
    assert page.get_by_text("Coming up").is_visible()
    page.screenshot(path=str(tmp_path / "reminders-360.png"), full_page=True)
    context.close()
