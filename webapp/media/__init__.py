"""Voice memos, photos and drawings: recorded or drawn on the device, offline too, uploaded
resumably, encrypted at rest, served only to their owner."""

from flask import Blueprint

bp = Blueprint("media", __name__)

from webapp.media import reactions, routes  # noqa: E402,F401
