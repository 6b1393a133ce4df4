"""Render a message from ``templates/mail/`` and hand it to the host's SMTP server.

Sending happens on a background thread, so a page answers in the same time whether or not a
message went out: "Forgot password?" and sign-up must not reveal who has an account by how
long they take. Failures are logged without the address.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import threading
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app, render_template

log = logging.getLogger(__name__)


def mail_enabled() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


def compose(to: str, template: str, **context) -> EmailMessage:
    """``templates/mail/<template>.txt``: a ``Subject:`` line, a blank line, then the body."""
    text = render_template(f"mail/{template}.txt", **context)
    head, _, body = text.lstrip().partition("\n\n")
    message = EmailMessage()
    message["Subject"] = head.removeprefix("Subject:").strip()
    message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = to
    message["Message-ID"] = make_msgid(domain="tend.invalid")
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(body.strip() + "\n")
    return message


def deliver(settings: dict, message: EmailMessage) -> None:
    """Send one message with the ``MAIL_*`` settings; raises what smtplib raises."""
    host, port, timeout = settings["MAIL_SERVER"], settings["MAIL_PORT"], settings["MAIL_TIMEOUT"]
    if settings["MAIL_USE_SSL"]:
        smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    with smtp:
        if settings["MAIL_USE_TLS"] and not settings["MAIL_USE_SSL"]:
            smtp.starttls(context=ssl.create_default_context())
        if settings["MAIL_USERNAME"]:
            smtp.login(settings["MAIL_USERNAME"], settings["MAIL_PASSWORD"] or "")
        smtp.send_message(message)


def _deliver_logged(settings: dict, message: EmailMessage, kind: str) -> None:
    try:
        deliver(settings, message)
    except (OSError, smtplib.SMTPException) as exc:
        log.error("could not send a %s message: %s", kind, exc.__class__.__name__)


def send_mail(to: str, template: str, **context) -> threading.Thread | None:
    """Compose now (templates need the app), send in the background; None when mail is off."""
    if not mail_enabled():
        return None
    message = compose(to, template, **context)
    settings = dict(current_app.config)
    thread = threading.Thread(
        target=_deliver_logged, args=(settings, message, template), name="tend-mail", daemon=True
    )
    thread.start()
    return thread


def public_url_for(endpoint: str, **values) -> str:
    """An absolute link on ``PUBLIC_URL`` (emails and the CLI have no request to go by)."""
    path = current_app.url_map.bind("tend.invalid").build(endpoint, values)
    return current_app.config["PUBLIC_URL"].rstrip("/") + path
