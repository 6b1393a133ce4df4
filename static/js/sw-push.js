// Push reminders: the service worker's `push` and `notificationclick` handlers live here.
