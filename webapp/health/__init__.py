"""Is Tend well? /healthz (the process answers), /readyz (it can serve), and start-up checks
that stop a server at once when its database is unreachable or behind the migrations."""

from flask import Blueprint

bp = Blueprint("health", __name__)

from webapp.health import reactions, routes  # noqa: E402,F401
