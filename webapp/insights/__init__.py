"""Looking back: insights charts, the integration brief's data, and exporting everything."""

from flask import Blueprint

bp = Blueprint("insights", __name__)

from webapp.insights import routes  # noqa: E402,F401
