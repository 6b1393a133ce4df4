// Reminders in the service worker: every push shows a notification; a click opens its prompt.
// A classic script, so the app's service worker can importScripts() it.

const TEND_DEFAULT_ICON = "/static/img/reminder-icon.png";
const TEND_DEFAULT_BADGE = "/static/img/reminder-badge.png";

function tendReadPush(event) {
  // Tend sends declarative Web Push JSON: {"web_push": 8030, "notification": {...}}.
  let message = {};
  try {
    message = event.data ? event.data.json() : {};
  } catch {
    message = {};
  }
  const notification = (message && message.notification) || {};
  const data = notification.data || {};
  const url = data.url || notification.navigate || "/";
  return {
    title: notification.title || "Tend",
    options: {
      body: notification.body || "A gentle moment to check in with yourself.",
      icon: notification.icon || TEND_DEFAULT_ICON,
      badge: notification.badge || TEND_DEFAULT_BADGE,
      tag: notification.tag || "tend-reminder",
      lang: notification.lang || "en",
      data: { url, reminder: data.reminder || null, snooze: data.snooze || null, token: data.token || null },
      actions: [
        { action: "write", title: "Write now" },
        { action: "later", title: "Later" },
      ],
    },
  };
}

self.addEventListener("push", (event) => {
  // Always show something: a push without a notification gets the subscription revoked.
  const { title, options } = tendReadPush(event);
  event.waitUntil(self.registration.showNotification(title, options));
});

async function tendOpen(url) {
  const target = new URL(url, self.location.origin);
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  const same = windows.filter((client) => new URL(client.url).origin === target.origin);
  const client = same.find((c) => c.focused) || same[0];
  if (client) {
    // focus() first: it needs the click's user activation, which navigate() would not keep.
    const focused = await client.focus().catch(() => client);
    try {
      const navigated = await (focused || client).navigate(target.href);
      if (navigated) return navigated;
    } catch {
      // Not controlled by this worker: the page navigates itself on this message.
    }
    (focused || client).postMessage({ type: "tend:open", url: target.href });
    return focused || client;
  }
  return self.clients.openWindow(target.href);
}

async function tendSnooze(data) {
  if (!data.snooze || !data.token) return;
  const response = await fetch(data.snooze, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ token: data.token }),
  });
  if (!response.ok) throw new Error(`snooze refused: ${response.status}`);
}

self.addEventListener("notificationclick", (event) => {
  const data = (event.notification && event.notification.data) || {};
  event.notification.close();
  const work = event.action === "later" ? tendSnooze(data) : tendOpen(data.url || "/");
  self.tendLastClick = work; // lets a test wait for what the click started
  event.waitUntil(work);
});
