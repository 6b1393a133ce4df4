// "Gentle reminders": subscribe this device to Web Push, from a click only.

const setup = document.getElementById("push-setup");

function show(state, message) {
  for (const element of setup.querySelectorAll(".push-state")) {
    element.hidden = element.dataset.state !== state;
    if (message && element.dataset.state === state) element.textContent = message;
  }
}

function isIos() {
  return /iPad|iPhone|iPod/.test(navigator.userAgent) ||
    (navigator.platform === "MacIntel" && navigator.maxTouchPoints > 1);
}

function isInstalled() {
  return window.matchMedia("(display-mode: standalone)").matches || navigator.standalone === true;
}

function guessDeviceLabel() {
  const ua = navigator.userAgent;
  const browser = /Edg\//.test(ua) ? "Edge" : /Firefox\//.test(ua) ? "Firefox"
    : /Chrom(e|ium)\//.test(ua) ? "Chrome" : /Safari\//.test(ua) ? "Safari" : "Browser";
  const device = /iPhone/.test(ua) ? "iPhone" : /iPad/.test(ua) ? "iPad"
    : /Android/.test(ua) ? "Android" : /Mac OS X/.test(ua) ? "Mac"
    : /Windows/.test(ua) ? "Windows" : /Linux/.test(ua) ? "Linux" : "device";
  return `${browser} on ${device}`;
}

function keyBytes(base64url) {
  const base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
  const raw = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

function activated(registration) {
  const worker = registration.installing || registration.waiting;
  if (registration.active || !worker) return Promise.resolve(registration);
  return new Promise((resolve) => {
    worker.addEventListener("statechange", () => {
      if (worker.state === "activated") resolve(registration);
    });
  });
}

async function workerRegistration() {
  const existing = await navigator.serviceWorker.getRegistration();
  if (existing) return activated(existing);
  return activated(await navigator.serviceWorker.register(setup.dataset.workerUrl));
}

async function refreshDevices() {
  const response = await fetch(setup.dataset.devicesUrl, {
    headers: { "HX-Request": "true" }, credentials: "same-origin",
  });
  if (!response.ok) return;
  const holder = document.createElement("div");
  holder.innerHTML = await response.text();
  for (const id of ["devices", "upcoming"]) {
    const fresh = holder.querySelector(`#${id}`);
    const current = document.getElementById(id);
    if (fresh && current) {
      fresh.removeAttribute("hx-swap-oob");
      current.replaceWith(fresh);
      if (window.htmx) window.htmx.process(fresh);
    }
  }
}

class TookTooLong extends Error {}

/** A step that may never answer (a push service out of reach): give up after a while. */
function withPatience(promise, ms) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new TookTooLong()), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

async function subscribe(button) {
  const patience = Number(setup.dataset.patienceMs) || 20000;
  button.disabled = true;
  show("working");
  try {
    const permission = await Notification.requestPermission();
    if (permission === "denied") return show("denied");
    if (permission !== "granted") {
      return show("failed", "Reminders stay off until notifications are allowed. You can try again any time.");
    }
    const registration = await withPatience(workerRegistration(), patience);
    const subscription = await withPatience(registration.pushManager.subscribe({
      userVisibleOnly: true,
      applicationServerKey: keyBytes(setup.dataset.publicKey),
    }), patience);
    const label = document.getElementById("device-label").value.trim() || guessDeviceLabel();
    const response = await withPatience(fetch(setup.dataset.subscribeUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "X-CSRFToken": document.querySelector('meta[name="csrf-token"]').content,
      },
      body: JSON.stringify({ ...subscription.toJSON(), device_label: label }),
    }), patience);
    if (!response.ok) {
      const answer = await response.json().catch(() => ({}));
      const detail = Object.values(answer.errors || {}).join(" ");
      return show("failed", `This device could not be saved. ${detail}`.trim());
    }
    show("subscribed");
    await refreshDevices();
  } catch (error) {
    show("failed", error instanceof TookTooLong
      ? "The browser’s push service did not answer, so reminders are not on yet. Nothing is lost; you can try again."
      : "Reminders could not be turned on here just now. Please try again in a moment.");
  } finally {
    button.disabled = false;
    if (!setup.querySelector('[data-state="failed"]').hidden) {
      // Say what happened, and keep the way to try again in reach.
      setup.querySelector('[data-state="ready"]').hidden = false;
      button.textContent = "Try again";
    }
  }
}

if (setup) {
  const supported = "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
  if (!supported) {
    show(isIos() && !isInstalled() ? "ios-install" : "unsupported");
  } else if (Notification.permission === "denied") {
    show("denied");
  } else {
    document.getElementById("device-label").value = guessDeviceLabel();
    show("ready");
    const button = document.getElementById("push-subscribe");
    button.addEventListener("click", () => subscribe(button));
  }
}
