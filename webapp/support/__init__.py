"""Support, one tap from every page: crisis resources, therapist contact, safety plan."""

from flask import Blueprint

bp = Blueprint("support", __name__)


@bp.record_once
def _check_support_file(state) -> None:
    """Read the host's support file at start-up, so a broken one is noticed at once."""
    from webapp.support.resources import load_support_resources

    state.app.extensions["tend_support_resources"] = load_support_resources(
        state.app.config.get("SUPPORT_FILE")
    )


from webapp.support import routes  # noqa: E402,F401
