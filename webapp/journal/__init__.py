"""The journal: timeline, writing, editing, deleting with undo, search."""

from flask import Blueprint

bp = Blueprint("journal", __name__)

from webapp.journal import routes  # noqa: E402,F401
