/* On/off duty, and sharing the position while on duty.
 *
 * The browser gives WGS-84 fixes. A fix is sent (PUT /api/v1/me/location) when the phone has
 * moved 100 m, or 30 s after the last one sent; when the phone does not move, a fresh fix is
 * asked for once a minute so the server's copy never goes stale (it ignores fixes older than
 * 10 minutes). Off duty: the watch stops and nothing more is sent (the server drops the fix). */
(function (global) {
  "use strict";
  const MIN_INTERVAL_MS = 30000;
  const MIN_MOVE_M = 100;
  const MOVE_FLOOR_MS = 5000; // even a fast mover sends at most one fix per 5 s
  const HEARTBEAT_MS = 60000;

  const toggle = document.querySelector("[data-testid=duty-toggle]");
  const label = toggle.querySelector(".ph-duty-label");
  const note = document.querySelector("[data-testid=duty-status]");
  const errorNode = document.querySelector("[data-testid=duty-error]");

  // Which is newer: the page as the server rendered it, or a change made on this device (e.g. offline shell)?
  const kept = ZQP.store.get("duty", null);
  const served = { on: !!ZQP.boot.on_duty, at: ZQP.boot.duty_changed_at || "" };
  let onDuty = kept && kept.at && (!served.at || Date.parse(kept.at) > Date.parse(served.at)) ? !!kept.on : served.on;
  let watchId = null;
  let heartbeat = null;
  let latest = null; // the newest fix from the browser
  let sent = ZQP.store.get("last_sent_fix", null); // the last fix the server accepted
  let sending = false;
  let locationProblem = "";

  function paint() {
    toggle.setAttribute("aria-pressed", String(onDuty));
    label.textContent = onDuty ? label.dataset.on : label.dataset.off;
    let text;
    if (!onDuty) text = zq.t("Go on duty to receive nearby alerts.");
    else if (locationProblem) text = locationProblem;
    else if (sent) text = zq.interpolate(zq.t("On duty: position shared at %(time)s"), { time: ZQP.formatTime(sent.at) });
    else text = zq.t("On duty: finding your position…");
    note.textContent = text;
  }

  function moved(a, b) {
    return ZQP.distanceBearing(a.lat, a.lon, b.lat, b.lon).distance;
  }

  async function send(fix) {
    if (sending || !onDuty) return;
    sending = true;
    try {
      await zq.api("PUT", "me/location", { lat: fix.lat, lon: fix.lon, datum: "wgs84",
        accuracy_m: Math.min(fix.accuracy_m, 100000), at: fix.at });
      sent = { ...fix, sent_at: Date.now() };
      ZQP.store.set("last_sent_fix", sent);
      ZQP.showError(errorNode, null);
    } catch (err) {
      if (err.code === "not_on_duty") { // went off duty elsewhere (another device, or a coordinator)
        setLocal(false);
        stopWatching();
      } else if (err.status !== 0) {
        ZQP.showError(errorNode, err);
      } // offline: the next fix (or the "online" event) tries again
    } finally {
      sending = false;
      paint();
    }
  }

  function consider(fix) {
    latest = fix;
    locationProblem = "";
    if (!sent) return send(fix);
    const since = Date.now() - (sent.sent_at || 0);
    if (since >= MIN_INTERVAL_MS || (since >= MOVE_FLOOR_MS && moved(sent, fix) >= MIN_MOVE_M)) send(fix);
  }

  function onPosition(pos) {
    consider({ lat: pos.coords.latitude, lon: pos.coords.longitude, accuracy_m: pos.coords.accuracy || 0,
      at: new Date(pos.timestamp || Date.now()).toISOString() });
  }

  function onPositionError(err) {
    locationProblem = err && err.code === 1
      ? zq.t("Location is blocked: allow it in the browser settings to be reached by nearby alerts.")
      : zq.t("Your position is not available right now.");
    paint();
  }

  const GEO_OPTIONS = { enableHighAccuracy: true, maximumAge: 15000, timeout: 30000 };
  function startWatching() {
    if (watchId !== null || !navigator.geolocation) {
      if (!navigator.geolocation) onPositionError(null);
      return;
    }
    watchId = navigator.geolocation.watchPosition(onPosition, onPositionError, GEO_OPTIONS);
    heartbeat = setInterval(() => {
      if (sent && Date.now() - (sent.sent_at || 0) < HEARTBEAT_MS) return;
      navigator.geolocation.getCurrentPosition(onPosition, onPositionError, GEO_OPTIONS);
    }, HEARTBEAT_MS / 2);
  }

  function stopWatching() {
    if (watchId !== null && navigator.geolocation) navigator.geolocation.clearWatch(watchId);
    watchId = null;
    clearInterval(heartbeat);
    heartbeat = null;
    latest = null;
    sent = null;
    ZQP.store.set("last_sent_fix", null);
  }

  function setLocal(value) {
    onDuty = value;
    ZQP.store.set("duty", { on: value, at: new Date().toISOString() });
    paint();
  }

  toggle.addEventListener("click", async () => {
    const want = !onDuty;
    toggle.disabled = true;
    ZQP.showError(errorNode, null);
    try {
      await zq.api("PUT", "me/duty", { on_duty: want });
      setLocal(want);
      if (want) {
        startWatching();
        if (global.ZQP.askNotifications) ZQP.askNotifications(); // a tap is the moment a browser allows the question
      } else {
        stopWatching();
      }
    } catch (err) {
      ZQP.showError(errorNode, err);
    } finally {
      toggle.disabled = false;
      paint();
    }
  });

  global.addEventListener("online", () => { if (onDuty && latest) send(latest); });

  paint();
  if (onDuty) startWatching();

  global.ZQP.duty = {
    isOn: () => onDuty,
    // The newest position known on this device (for distances and check-in geofences), or null.
    lastFix: () => latest || sent,
  };
})(window);
