"""A way back in after a forgotten password: recovery codes, and reset links by email."""

from flask import Blueprint, Flask

bp = Blueprint("recovery", __name__)

from webapp.recovery import routes  # noqa: E402,F401


def init_recovery(app: Flask) -> None:
    from webapp.recovery.services import recovery_codes_missing

    app.add_template_global(recovery_codes_missing)
