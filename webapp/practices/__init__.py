"""Integration practices: the catalogue, chosen practices, schedules and "done" logs."""

from flask import Blueprint

bp = Blueprint("practices", __name__)

from webapp.practices import routes  # noqa: E402,F401
