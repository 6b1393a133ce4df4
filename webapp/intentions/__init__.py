"""Intentions: set from a journey or an entry, revisited, integrated or let go."""

from flask import Blueprint

bp = Blueprint("intentions", __name__)

from webapp.intentions import routes  # noqa: E402,F401
