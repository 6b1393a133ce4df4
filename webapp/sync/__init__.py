"""Offline drafts coming home: the JSON sync API a phone calls when it has signal again."""

from flask import Blueprint

bp = Blueprint("sync", __name__, url_prefix="/api")

from webapp.sync import routes  # noqa: E402,F401
