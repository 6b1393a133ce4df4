"""Every model, imported in one place so migrations see the whole schema."""

from webapp.auth.models import User
from webapp.journal.models import Entry

__all__ = ["User", "Entry"]
