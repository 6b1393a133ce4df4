"""Bringing a journal in: a Tend export (into a new account, or back into the same one) or a
Day One JSON export, as ordinary entries."""

from flask import Blueprint

bp = Blueprint("importer", __name__)

from webapp.importer import routes  # noqa: E402,F401
