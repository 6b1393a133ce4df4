"""Today: where a person is in their arc, one prompt, a quick answer, today's practices."""

from flask import Blueprint

bp = Blueprint("today", __name__)

from webapp.today import routes  # noqa: E402,F401
