"""Domain events: what happened, announced once, for any capability that cares to react.

A capability sends an event after it has committed a change; others subscribe instead of
being called from every service (reminders follow journeys, practices and intentions;
the rendered-page cache forgets a person who signed out). Receivers are connected when
their package is imported by the app factory, so every app, tests included, reacts the
same way. Each event is sent with the person (a ``User``) as sender, or their id where
the person no longer exists, plus keyword arguments named below.
"""

from __future__ import annotations

from blinker import Namespace

_events = Namespace()

# A journey was logged or changed: ``journey``.
journey_saved = _events.signal("journey-saved")
# A journey was removed: ``journey_id``.
journey_removed = _events.signal("journey-removed")

# A practice was chosen or rescheduled: ``chosen`` (a ChosenPractice).
practice_scheduled = _events.signal("practice-scheduled")
# A practice was taken off the person's list: ``practice_id`` (the catalogue id).
practice_removed = _events.signal("practice-removed")

# An intention is active (new, or set active again): ``intention``.
intention_active = _events.signal("intention-active")
# An intention was integrated or let go: ``intention_id``.
intention_closed = _events.signal("intention-closed")

# A device signed out or was locked: sender is the person's id; ``device_session_id``.
device_signed_out = _events.signal("device-signed-out")
device_locked = _events.signal("device-locked")

# An account and everything in it were erased: sender is the former person's id.
account_erased = _events.signal("account-erased")

# An export is being put together: ``data`` (the export's dict: add to it) and ``files`` (a
# list of webapp.archives.ArchiveFile to add to the zip). Sent before anything is written.
export_gathering = _events.signal("export-gathering")

# Asked before an entry keeps no words: a receiver answers True when the entry holds something
# else worth keeping (a voice memo, a photo, a drawing). Sender is the entry.
entry_holds_more_than_words = _events.signal("entry-holds-more-than-words")

# Once a day, from each long-running dispatcher (or `flask reminders plan-ahead` from cron):
# plan ahead and prune old records. Sender is the app; ``now`` is the moment.
daily_upkeep = _events.signal("daily-upkeep")

# A dispatcher finished a round (also an empty one, so it doubles as its heartbeat). Sender is
# the dispatcher; ``outcomes`` counts reminders by verdict (sent, pending, failed, cancelled),
# ``answers`` counts push services' answers by class, ``lags`` lists seconds from due to sent.
dispatcher_round = _events.signal("dispatcher-round")

# A device's drafts were applied by sync: ``statuses`` lists each draft's result status.
drafts_synced = _events.signal("drafts-synced")

# Whoever runs Tend paused or reopened an account (`flask users disable|enable`).
account_disabled = _events.signal("account-disabled")
account_enabled = _events.signal("account-enabled")
