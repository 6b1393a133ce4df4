"""Reminder settings read from the environment, with defaults for one person's instance."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask
from py_vapid import Vapid02

from webapp.push.vapid import load_or_create_vapid


def _number(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value not in (None, "") else default


def push_defaults(app: Flask) -> None:
    """Fill in reminder settings the app was not given (tests pass their own)."""
    public_url = os.environ.get("PUBLIC_URL", "http://127.0.0.1:5000")
    defaults = {
        # Where people reach Tend: links inside notifications point here.
        "PUBLIC_URL": public_url,
        "VAPID_PRIVATE_KEY": os.environ.get("VAPID_PRIVATE_KEY"),
        "VAPID_SUBJECT": os.environ.get("VAPID_SUBJECT")
        or (public_url if public_url.startswith("https://") else "mailto:tend@localhost"),
        "PUSH_CONNECT_TIMEOUT": _number("PUSH_CONNECT_TIMEOUT", 5),
        "PUSH_READ_TIMEOUT": _number("PUSH_READ_TIMEOUT", 10),
        "PUSH_CONCURRENCY": int(_number("PUSH_CONCURRENCY", 200)),
        # Push services are https; plain http only for a local test push service.
        "PUSH_ALLOW_HTTP_ENDPOINTS": False,
        "REMINDER_BATCH_SIZE": int(_number("REMINDER_BATCH_SIZE", 200)),
        "REMINDER_LEASE_SECONDS": _number("REMINDER_LEASE_SECONDS", 30),
        "REMINDER_MAX_ATTEMPTS": int(_number("REMINDER_MAX_ATTEMPTS", 5)),
        "REMINDER_RETRY_BASE_SECONDS": _number("REMINDER_RETRY_BASE_SECONDS", 60),
        "REMINDER_IDLE_SECONDS": _number("REMINDER_IDLE_SECONDS", 2),
    }
    for name, value in defaults.items():
        app.config.setdefault(name, value)


def vapid_for(app: Flask) -> Vapid02:
    """The VAPID key: from VAPID_PRIVATE_KEY, else instance/vapid_private_key.pem (0600)."""
    cached = app.extensions.get("tend_vapid")
    if cached is None:
        cached = load_or_create_vapid(
            app.config.get("VAPID_PRIVATE_KEY"),
            Path(app.instance_path) / "vapid_private_key.pem",
        )
        app.extensions["tend_vapid"] = cached
    return cached
