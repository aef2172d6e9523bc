/* The phone app (/m/): connection state, tabs, the service worker, and the durable stream
 * handed to the alert and session modules (phone-alerts.js, phone-sessions.js). */
(function (global) {
  "use strict";
  const conn = document.querySelector("[data-testid=conn-state]");
  const LABELS = { connecting: "Connecting…", open: "Connected", reconnecting: "Reconnecting…", offline: "Offline",
    failed: "Disconnected", signed_out: "Signed out", closed: "Disconnected" };

  /* ---- tabs ---- */
  const tabs = Array.from(document.querySelectorAll("[role=tab]"));
  function select(tab) {
    tabs.forEach((t) => {
      const on = t === tab;
      t.setAttribute("aria-selected", String(on));
      document.getElementById(t.getAttribute("aria-controls")).hidden = !on;
    });
    ZQP.store.set("tab", tab.id);
  }
  tabs.forEach((t) => t.addEventListener("click", () => select(t)));
  const keptTab = document.getElementById(ZQP.store.get("tab", "tab-alerts"));
  if (keptTab) select(keptTab);

  /* ---- notifications: asked after a tap (going on duty, or the button) ---- */
  const notifyButton = document.querySelector("[data-testid=notify-enable]");
  function paintNotify() {
    notifyButton.hidden = !("Notification" in global) || Notification.permission !== "default";
  }
  ZQP.askNotifications = async () => {
    if (!("Notification" in global) || Notification.permission !== "default") return;
    try { await Notification.requestPermission(); } catch (err) { /* an old browser: no notifications */ }
    paintNotify();
  };
  notifyButton.addEventListener("click", ZQP.askNotifications);
  paintNotify();

  /* ---- the service worker keeps the shell (and, via localStorage, the alerts) for offline use ---- */
  if ("serviceWorker" in navigator) {
    global.addEventListener("load", () => {
      navigator.serviceWorker.register("/m/sw.js", { scope: "/m/" }).catch(() => { /* the app works without it */ });
    });
  }

  /* ---- signing out leaves nothing of this person on a shared phone ----
   * and takes them off duty: a signed-out phone rings for nobody, so the coverage map must not count
   * it (the server deletes the position with it). A failure here does not keep anyone signed in. */
  const logout = document.querySelector("[data-testid=logout-form]");
  logout.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (ZQP.duty && ZQP.duty.isOn()) {
      try { await zq.api("PUT", "me/duty", { on_duty: false }); } catch (err) { /* signed out all the same */ }
    }
    socket.close();
    ZQP.store.clear();
    zq.forgetToken();
    try {
      const names = await caches.keys();
      await Promise.all(names.filter((n) => n.startsWith("zq-phone-")).map((n) => caches.delete(n)));
    } catch (err) { /* no Cache API: nothing was kept there */ }
    logout.submit();
  });

  /* ---- the durable stream ---- */
  let replayUntil = 0;
  function replayFinished() {
    replayUntil = 0;
    ZQP.alerts.replayDone();
  }

  const socket = zq.socket("/ws/v1/phone", {
    userKey: String(ZQP.boot.user_id || "me"),
    onState(state) {
      conn.dataset.state = state;
      conn.textContent = zq.t(LABELS[state] || state);
    },
    onWelcome(frame) {
      // Events up to welcome.seq are the replay of what happened while this phone was away.
      replayUntil = frame.seq;
      if (socket.lastSeq >= replayUntil) replayFinished();
    },
    onEvent(event, seq) {
      const replaying = seq <= replayUntil; // welcome.seq itself is the replay's last event
      if (ZQP.alerts.isAlertEvent(event.type)) ZQP.alerts.apply(event, replaying);
      else if (ZQP.sessions.isSessionEvent(event.type)) ZQP.sessions.apply(event, replaying);
      if (replayUntil && seq >= replayUntil) replayFinished();
    },
    onSignedOut() { location.assign("/login/?next=/m/"); },
  });

  // Refresh the distances shown as the phone's own position changes.
  setInterval(() => ZQP.alerts.render({ listOnly: true }), 60000);

  global.zqPhone = { socket: socket, ringLog: ZQP.alerts.ringLog, notifyLog: ZQP.alerts.notifyLog };
})(window);
