"""Sharing chosen entries, a brief or the safety plan through private, expiring links."""

from flask import Blueprint

bp = Blueprint("shares", __name__)

from webapp.shares import reactions, routes  # noqa: E402,F401
