"""The journal: timeline, writing, editing, deleting with undo, search."""

from flask import Blueprint

from webapp.journal.models import BODY_MAX

bp = Blueprint("journal", __name__)


@bp.app_context_processor
def _entry_limits() -> dict:
    """Every page that holds an entry's text knows its limit (a counter shows near it)."""
    return {"body_max": BODY_MAX}


from webapp.journal import routes  # noqa: E402,F401
