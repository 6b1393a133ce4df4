"""Every model, imported in one place so migrations see the whole schema."""

from webapp.auth.models import User
from webapp.journal.models import Entry
from webapp.push.models import Delivery, PushSubscription, Reminder, ReminderSettings

__all__ = ["User", "Entry", "PushSubscription", "Reminder", "Delivery", "ReminderSettings"]
