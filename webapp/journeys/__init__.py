"""The integration arc: Today, journeys and their phases, prompts, intentions, settings."""

from flask import Blueprint

bp = Blueprint("journeys", __name__)

from webapp.journeys import routes  # noqa: E402,F401
