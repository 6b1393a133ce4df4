"""Every model, imported in one place so migrations see the whole schema."""

from webapp.auth.models import DeviceSession, KeyEpoch, SecurityEvent, User
from webapp.health.models import Heartbeat
from webapp.intentions.models import Intention
from webapp.journal.models import Entry
from webapp.journeys.models import IntegrationSettings, Journey
from webapp.media.models import Media, MediaChunk
from webapp.onboarding.models import Invitation, PendingSignup
from webapp.practices.models import ChosenPractice, PracticeLog
from webapp.push.models import Delivery, PushSubscription, Reminder, ReminderSettings
from webapp.recovery.models import PasswordReset, RecoveryCode
from webapp.shares.models import Share, ShareOpening
from webapp.support.models import SafetyPlan
from webapp.sync.models import DraftAlias

__all__ = [
    "User",
    "DeviceSession",
    "SecurityEvent",
    "KeyEpoch",
    "Entry",
    "Journey",
    "IntegrationSettings",
    "Intention",
    "ChosenPractice",
    "PracticeLog",
    "SafetyPlan",
    "Share",
    "ShareOpening",
    "PushSubscription",
    "Reminder",
    "Delivery",
    "ReminderSettings",
    "RecoveryCode",
    "PasswordReset",
    "Heartbeat",
    "Invitation",
    "PendingSignup",
    "Media",
    "MediaChunk",
    "DraftAlias",
]
