"""Installable and offline: the web app manifest, the service worker, the offline pages."""

from flask import Blueprint

bp = Blueprint("pwa", __name__)

from webapp.pwa import routes  # noqa: E402,F401
