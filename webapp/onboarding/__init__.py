"""Joining Tend: invitation links (``REGISTRATION_OPEN=invite``) and, when the host sends
email, sign-up confirmed by email so the form never reveals who already has an account."""

from flask import Blueprint

bp = Blueprint("onboarding", __name__)

from webapp.onboarding import routes  # noqa: E402,F401
