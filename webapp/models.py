"""Every model, imported in one place so migrations see the whole schema."""

from webapp.auth.models import User
from webapp.journal.models import Entry
from webapp.journeys.models import IntegrationSettings, Intention, Journey
from webapp.media.models import Media, MediaChunk
from webapp.practices.models import ChosenPractice, PracticeLog
from webapp.push.models import Delivery, PushSubscription, Reminder, ReminderSettings
from webapp.support.models import SafetyPlan

__all__ = [
    "User",
    "Entry",
    "Journey",
    "IntegrationSettings",
    "Intention",
    "ChosenPractice",
    "PracticeLog",
    "SafetyPlan",
    "PushSubscription",
    "Reminder",
    "Delivery",
    "ReminderSettings",
    "Media",
    "MediaChunk",
]
