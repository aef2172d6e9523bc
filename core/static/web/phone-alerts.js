/* Alerts on the phone: kept on the device (the last 30, so they show offline), one list entry
 * per alert whatever the socket replays, a ring (WebAudio, vibration, notification) for a new
 * active alert, and the full-screen view with the response buttons and navigation links. */
(function (global) {
  "use strict";
  const { el } = zq;
  const KEEP = 30;
  // The responder's state machine (dispatch/services/responses.py TRANSITIONS): what may come next.
  const NEXT = {
    "": ["accepted", "declined"],
    accepted: ["en_route", "on_scene", "declined"],
    en_route: ["on_scene", "declined"],
    on_scene: ["done"],
    declined: ["accepted"],
    done: [],
  };
  const ACTIONS = [
    ["accepted", "Accept"],
    ["declined", "Decline"],
    ["en_route", "En route"],
    ["on_scene", "On scene"],
    ["done", "Done"],
  ];
  const STATE_LABELS = { accepted: "Accepted", declined: "Declined", en_route: "En route", on_scene: "On scene", done: "Done" };
  const KIND_LABELS = {
    violent_crime: "Violent crime in progress", flood_rescue: "Flood / water rescue", injured_person: "Injured person",
    missing_person: "Missing person", fire: "Fire", traffic_accident: "Traffic accident",
    natural_hazard: "Weather or natural hazard", other: "Other",
  };
  const SEVERITY_LABELS = { extreme: "Extreme", severe: "Severe", moderate: "Moderate", minor: "Minor", unknown: "Unknown" };

  let alerts = ZQP.store.get("alerts", []);
  let openId = null;
  const sending = new Set(); // alerts whose response is on its way: their buttons stay off through redraws
  let pendingRings = [];
  const ringLog = []; // alert ids rung on this page (tests read it; a person never sees it)
  const notifyLog = []; // [alert id, how its notification went]: "shown", "no permission" or the error (same)
  const listNode = document.querySelector("[data-testid=alert-list]");
  const emptyNode = document.querySelector("[data-testid=alert-empty]");
  const screenRoot = document.getElementById("alert-screen-root");

  const find = (id) => alerts.find((a) => a.id === id);
  const save = () => ZQP.store.set("alerts", alerts);
  const expired = (a) => a.expires_at && Date.parse(a.expires_at) <= Date.now();
  // What the screen says about the alert: active, cancelled or closed (an expired alert is closed for the phone).
  const statusOf = (a) => (a.status === "active" && expired(a) ? "closed" : a.status);

  /* ---------- events from the durable stream ---------- */
  function apply(event, replaying) {
    const id = event.alert_id;
    let alert = find(id);
    if (event.type === "alert.created") {
      if (alert) return; // a wider wave, or a replay: the phone already has it
      alert = {
        id: id, kind: event.kind, severity: event.severity, title: event.title, description: event.description,
        lat: event.lat, lon: event.lon, radius_m: event.radius_m, needed: event.needed, expires_at: event.expires_at,
        distance_m: event.distance_m, bearing_deg: event.bearing_deg, nav: event.nav, status: "active",
        received_at: new Date().toISOString(), my_state: "", accepted: 0, stand_down: false, reason: "",
      };
      alerts.unshift(alert);
      alerts = alerts.slice(0, KEEP);
      save();
      render();
      if (statusOf(alert) !== "active") return;
      if (replaying) pendingRings.push(id);
      else ring(alert);
      return;
    }
    if (!alert) return; // about an alert this phone no longer keeps
    if (event.type === "alert.updated") {
      Object.assign(alert, { title: event.title, description: event.description, severity: event.severity,
        needed: event.needed, expires_at: event.expires_at });
      if (!replaying) ZQP.toast(zq.interpolate(zq.t("Alert updated: %(title)s"), { title: alert.title }));
    } else if (event.type === "alert.cancelled") {
      alert.status = "cancelled";
      alert.reason = event.reason || "";
      stopRinging(id);
      if (!replaying) notify(alert, zq.t("Alert cancelled"));
    } else if (event.type === "alert.closed") {
      alert.status = "closed";
      stopRinging(id);
    } else if (event.type === "alert.progress") {
      alert.accepted = event.accepted;
      alert.needed = event.needed;
      alert.stand_down = event.stand_down;
    }
    save();
    render();
  }

  // After the replay: ring once for the newest alert that arrived while away and is still active.
  function replayDone() {
    const waiting = pendingRings.map(find).filter((a) => a && statusOf(a) === "active");
    pendingRings = [];
    if (waiting.length) ring(waiting[waiting.length - 1]); // they were kept in arrival order
  }

  /* ---------- ringing ---------- */
  let audio = null;
  let ringing = null; // {id, timer, until}
  function audioContext() {
    const Ctx = global.AudioContext || global.webkitAudioContext;
    if (!Ctx) return null;
    if (!audio) {
      try { audio = new Ctx(); } catch (err) { return null; }
    }
    if (audio.state === "suspended") audio.resume().catch(() => {});
    return audio;
  }
  // Browsers only let a page make sound after a touch: unlock the audio on the first one.
  document.addEventListener("pointerdown", () => audioContext(), { once: true, capture: true });

  function siren() {
    const ctx = audioContext();
    if (!ctx) return;
    try {
      const gain = ctx.createGain();
      gain.gain.value = 0.25;
      gain.connect(ctx.destination);
      const osc = ctx.createOscillator();
      osc.type = "square";
      const t0 = ctx.currentTime;
      for (let i = 0; i < 8; i += 1) osc.frequency.setValueAtTime(i % 2 ? 660 : 880, t0 + i * 0.3);
      osc.connect(gain);
      osc.start(t0);
      osc.stop(t0 + 2.4);
    } catch (err) { /* no sound on this device: vibration and the screen still work */ }
  }

  function ring(alert) {
    ringLog.push(alert.id);
    stopRinging();
    const burst = () => {
      siren();
      if (navigator.vibrate) { try { navigator.vibrate([500, 200, 500, 200, 900]); } catch (err) { /* not allowed */ } }
    };
    burst();
    // Keep ringing every 8 s for up to a minute, until the person touches the alert screen.
    ringing = { id: alert.id, timer: setInterval(() => {
      if (!ringing || Date.now() > ringing.until) return stopRinging();
      burst();
    }, 8000), until: Date.now() + 60000 };
    notify(alert, zq.t("New alert"));
    open(alert.id);
  }

  function stopRinging(id) {
    if (!ringing || (id !== undefined && ringing.id !== id)) return;
    clearInterval(ringing.timer);
    ringing = null;
    if (navigator.vibrate) { try { navigator.vibrate(0); } catch (err) { /* ignore */ } }
    const screen = screenRoot.querySelector("[data-testid=alert-screen]");
    if (screen) screen.dataset.ringing = "false";
  }

  async function notify(alert, heading) {
    if (!("Notification" in global) || Notification.permission !== "granted") { notifyLog.push([alert.id, "no permission"]); return; }
    const body = [zq.t(KIND_LABELS[alert.kind] || alert.kind), alert.title, distanceText(alert)].filter(Boolean).join(" · ");
    const options = { body: body, tag: "alert-" + alert.id, renotify: true, icon: ZQP.boot.icon || undefined,
      data: { alert_id: alert.id }, requireInteraction: statusOf(alert) === "active" };
    try {
      // Android Chrome only allows notifications through the service worker.
      const reg = navigator.serviceWorker && (await navigator.serviceWorker.getRegistration("/m/"));
      if (reg) await reg.showNotification(heading, options);
      else new Notification(heading, options);
      notifyLog.push([alert.id, reg ? "shown" : "shown without the service worker"]);
    } catch (err) { // notifications are a bonus: the screen and the sound carry the alert
      notifyLog.push([alert.id, String(err)]);
    }
  }

  /* ---------- the list ---------- */
  function distanceText(a) {
    let metres = a.distance_m, bearing = a.bearing_deg;
    const fix = global.ZQP.duty && ZQP.duty.lastFix();
    if ((metres === null || metres === undefined) && fix && a.lat !== null && a.lat !== undefined) {
      const db = ZQP.distanceBearing(fix.lat, fix.lon, a.lat, a.lon);
      metres = db.distance; bearing = db.bearing;
    }
    if (metres === null || metres === undefined) return zq.t("Distance unknown");
    if (bearing === null || bearing === undefined) return ZQP.formatDistance(metres);
    return zq.interpolate(zq.t("%(distance)s to the %(direction)s"),
      { distance: ZQP.formatDistance(metres), direction: ZQP.compass(bearing) });
  }

  function statusLabel(a) {
    const s = statusOf(a);
    if (s === "cancelled") return zq.t("Cancelled");
    if (s === "closed") return expired(a) && a.status === "active" ? zq.t("Expired") : zq.t("Closed");
    return a.my_state ? zq.t(STATE_LABELS[a.my_state]) : zq.t("Active");
  }

  function render(options) {
    listNode.replaceChildren(...alerts.map((a) => el("li", {
      "data-alert-id": a.id, "data-status": statusOf(a), class: "ph-item ph-sev-" + a.severity,
    }, [el("button", { type: "button", class: "ph-item-open", onclick: () => open(a.id) }, [
      el("span", { class: "ph-item-head" }, [
        el("span", { class: "ph-badge", text: zq.t(KIND_LABELS[a.kind] || a.kind) }),
        el("span", { class: "ph-item-status", text: statusLabel(a) }),
      ]),
      el("strong", { class: "ph-item-title", text: a.title }),
      el("span", { class: "zq-muted", text: distanceText(a) + " · " + ZQP.formatTime(a.received_at, true) }),
    ])])));
    emptyNode.hidden = alerts.length > 0;
    if (openId !== null && !(options && options.listOnly)) renderScreen();
  }

  /* ---------- read receipts ---------- */
  // The full screen of an active alert, seen, is "read" on the coordinator's board (POST .../read).
  // Once per alert per phone: `read_sent` is kept with the alert in the store, so a reload does not
  // send it again; a failed call is tried again the next time the screen is shown. Nothing waits on it.
  const reading = new Set();
  function markRead(a) {
    if (!a || a.read_sent || reading.has(a.id) || statusOf(a) !== "active") return;
    // A screen opened by a ring while the phone is locked or the app hidden is not yet seen.
    if (document.visibilityState === "hidden") return;
    reading.add(a.id);
    zq.api("POST", `alerts/${a.id}/read`).then(() => {
      const kept = find(a.id);
      if (kept) { kept.read_sent = true; save(); }
    }, () => { /* offline or refused: tried again the next time the screen is shown */ })
      .finally(() => reading.delete(a.id));
  }
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && openId !== null) markRead(find(openId));
  });

  /* ---------- the full screen ---------- */
  function open(id) {
    const fresh = openId !== id;
    openId = id;
    renderScreen();
    markRead(find(id));
    document.body.classList.add("ph-screen-open");
    const title = screenRoot.querySelector("[data-testid=alert-title]");
    if (fresh && title) title.focus(); // screen readers start at the alert
  }

  function close() {
    const was = openId;
    stopRinging();
    openId = null;
    screenRoot.replaceChildren();
    document.body.classList.remove("ph-screen-open");
    // Focus goes back to the alert in the list (not lost to the page) for keyboard and screen-reader users.
    const item = was === null ? null : document.querySelector(`[data-testid=alert-list] [data-alert-id="${was}"]`);
    if (item) (item.querySelector("button, a") || item).focus();
  }

  function navLinks(a) {
    if (a.lat === null || a.lat === undefined) return [];
    const name = encodeURIComponent(a.title);
    const gcj = zq.toDatum(a.lat, a.lon, "gcj02");
    const bd = zq.toDatum(a.lat, a.lon, "bd09");
    // callnative=1: Amap opens its app when the phone has it, the web page otherwise.
    const amap = ((a.nav && a.nav.amap) ||
      `https://uri.amap.com/marker?position=${gcj[1].toFixed(6)},${gcj[0].toFixed(6)}&name=${name}&src=zhengqi&coordinate=gaode`) +
      "&callnative=1";
    const baidu = (a.nav && a.nav.baidu) ||
      `https://api.map.baidu.com/marker?location=${bd[0].toFixed(6)},${bd[1].toFixed(6)}&title=${name}&content=${name}&coord_type=bd09ll&output=html&src=zhengqi`;
    const geo = `geo:${a.lat.toFixed(6)},${a.lon.toFixed(6)}?q=${a.lat.toFixed(6)},${a.lon.toFixed(6)}(${name})`;
    return [["nav-amap", "Amap", amap], ["nav-baidu", "Baidu Maps", baidu], ["nav-geo", "Other map app", geo]];
  }

  // A map pin without tiles: the alert at the centre, its radius, and where I am relative to it.
  function pinMap(a) {
    if (a.lat === null || a.lat === undefined) return null;
    const NS = "http://www.w3.org/2000/svg";
    const svg = (tag, attrs) => {
      const node = document.createElementNS(NS, tag);
      Object.entries(attrs).forEach(([k, v]) => node.setAttribute(k, v));
      return node;
    };
    const map = svg("svg", { viewBox: "-100 -100 200 200", class: "ph-pinmap", "data-testid": "alert-map", role: "img",
      "aria-label": zq.t("Map of the alert location") });
    let me = null;
    const fix = global.ZQP.duty && ZQP.duty.lastFix();
    if (fix) {
      const db = ZQP.distanceBearing(a.lat, a.lon, fix.lat, fix.lon);
      me = { d: db.distance, b: db.bearing };
    } else if (a.distance_m !== null && a.distance_m !== undefined && a.bearing_deg !== null && a.bearing_deg !== undefined) {
      me = { d: a.distance_m, b: (a.bearing_deg + 180) % 360 }; // the server's bearing points from me to the alert
    }
    const extent = Math.max(a.radius_m || 500, me ? me.d : 0, 100) * 1.15;
    const scale = 90 / extent;
    map.append(svg("rect", { x: -100, y: -100, width: 200, height: 200, class: "ph-pinmap-bg" }));
    if (a.radius_m) map.append(svg("circle", { cx: 0, cy: 0, r: a.radius_m * scale, class: "ph-pinmap-radius" }));
    if (me) {
      const rad = (me.b * Math.PI) / 180;
      const x = Math.sin(rad) * me.d * scale, y = -Math.cos(rad) * me.d * scale;
      map.append(svg("line", { x1: x, y1: y, x2: 0, y2: 0, class: "ph-pinmap-route" }));
      map.append(svg("circle", { cx: x, cy: y, r: 5, class: "ph-pinmap-me" }));
    }
    map.append(svg("path", { d: "M0 0 C -9 -12 -12 -17 -12 -24 A 12 12 0 1 1 12 -24 C 12 -17 9 -12 0 0 Z", class: "ph-pinmap-pin" }));
    map.append(svg("circle", { cx: 0, cy: -24, r: 4.5, fill: "#fff" }));
    const north = svg("text", { x: 88, y: -84, "text-anchor": "middle", class: "ph-pinmap-north" });
    north.textContent = zq.t("N");
    map.append(north);
    return map;
  }

  async function respond(a, state, screen) {
    if (sending.has(a.id)) return;
    const error = screen.querySelector("[data-testid=alert-error]");
    ZQP.showError(error, null);
    sending.add(a.id);
    screen.querySelectorAll("[data-action]").forEach((b) => { b.disabled = true; });
    stopRinging(a.id);
    try {
      await zq.api("POST", `alerts/${a.id}/responses`, { state: state });
      a.my_state = state;
      a.read_sent = true; // the server counts a response as read
    } catch (err) {
      if (err.code === "duplicate_response" && err.details && err.details.state) a.my_state = err.details.state;
      // The server's state wins (a response made on another phone, or before this one's data was
      // cleared): the buttons then offer what is really possible next.
      if (err.code === "invalid_transition" && err.details) a.my_state = err.details.from || "";
      if (err.code === "alert_cancelled") a.status = "cancelled";
      if (err.code === "alert_closed" || err.code === "alert_expired") a.status = "closed";
      sending.delete(a.id);
      save();
      render();
      // Only on this alert's own screen: another alert may have rung and opened meanwhile.
      const shown = screenRoot.querySelector(`[data-testid=alert-screen][data-alert-id="${a.id}"]`);
      if (shown) ZQP.showError(shown.querySelector("[data-testid=alert-error]"), err);
      return;
    }
    sending.delete(a.id);
    save();
    render();
  }

  function renderScreen() {
    const a = find(openId);
    if (!a) return close();
    const status = statusOf(a);
    const active = status === "active";
    const allowed = new Set(active ? NEXT[a.my_state || ""] : []);
    const links = navLinks(a);
    const navMenu = el("div", { class: "ph-nav-menu", "data-testid": "nav-menu", hidden: true },
      links.map(([testid, label, href]) => el("a", { href: href, "data-testid": testid, target: "_blank", rel: "noopener", text: zq.t(label) })));
    const progress = a.needed ? zq.interpolate(zq.t("%(accepted)s of %(needed)s responders accepted"),
      { accepted: a.accepted || 0, needed: a.needed }) : "";
    const screen = el("section", {
      class: "ph-screen ph-sev-" + a.severity, role: "dialog", "aria-modal": "true", "aria-labelledby": "alert-title",
      "data-testid": "alert-screen", "data-alert-id": a.id, "data-status": status,
      "data-ringing": ringing && ringing.id === a.id ? "true" : "false",
      onpointerdown: () => stopRinging(a.id),
    }, [
      el("header", { class: "ph-screen-head" }, [
        el("span", { class: "ph-badge", "data-testid": "alert-kind", text: zq.t(KIND_LABELS[a.kind] || a.kind) }),
        el("span", { class: "ph-badge ph-badge-sev", "data-testid": "alert-severity", text: zq.t(SEVERITY_LABELS[a.severity] || a.severity) }),
        el("button", { type: "button", class: "ph-screen-close", "data-testid": "alert-close", "aria-label": zq.t("Back to the list"), onclick: close, text: "✕" }),
      ]),
      el("p", { class: "ph-banner ph-banner-cancelled", "data-testid": "alert-cancelled", role: "alert", hidden: status !== "cancelled",
        text: zq.t("Cancelled: stand down.") + (a.reason ? " " + a.reason : "") }),
      el("p", { class: "ph-banner ph-banner-closed", "data-testid": "alert-closed", hidden: status !== "closed",
        text: expired(a) && a.status === "active" ? zq.t("This alert has expired.") : zq.t("This alert is closed.") }),
      el("h1", { id: "alert-title", "data-testid": "alert-title", tabindex: "-1", text: a.title }),
      el("p", { class: "ph-distance", "data-testid": "alert-distance" }, [
        el("span", { class: "ph-arrow", "aria-hidden": "true", style: a.bearing_deg === null || a.bearing_deg === undefined ? "display:none" : `transform: rotate(${a.bearing_deg}deg)`, text: "↑" }),
        distanceText(a),
      ]),
      el("p", { class: "ph-description", "data-testid": "alert-description", text: a.description || "" }),
      pinMap(a) || el("span", { hidden: true }),
      el("p", { class: "zq-muted", "data-testid": "alert-progress", text: progress }),
      el("p", { class: "ph-standdown", "data-testid": "alert-stand-down", hidden: !(a.stand_down && active && !["accepted", "en_route", "on_scene"].includes(a.my_state)),
        text: zq.t("Enough responders have accepted: you may stand down.") }),
      el("p", { class: "ph-mystate", "data-testid": "alert-my-state", "data-state": a.my_state || "",
        text: a.my_state ? zq.interpolate(zq.t("Your response: %(state)s"), { state: zq.t(STATE_LABELS[a.my_state]) }) : "" }),
      el("p", { class: "zq-error", "data-testid": "alert-error", role: "alert", hidden: true }),
      el("div", { class: "ph-actions" }, ACTIONS.map(([state, label]) => el("button", {
        type: "button", class: "ph-action ph-action-" + state, "data-action": state, disabled: !allowed.has(state) || sending.has(a.id),
        onclick: (ev) => respond(a, state, ev.currentTarget.closest("[data-testid=alert-screen]")), text: zq.t(label),
      }))),
      el("div", { class: "ph-nav" }, [
        el("button", { type: "button", class: "ph-nav-toggle", "data-testid": "navigate", disabled: !links.length,
          "aria-expanded": "false", onclick: (ev) => {
            navMenu.hidden = !navMenu.hidden;
            ev.currentTarget.setAttribute("aria-expanded", String(!navMenu.hidden));
          }, text: zq.t("Navigate") }),
        navMenu,
      ]),
    ]);
    const previous = screenRoot.querySelector("[data-testid=alert-screen]");
    const same = previous && previous.dataset.alertId === String(a.id) ? previous : null;
    const error = same ? same.querySelector("[data-testid=alert-error]") : null;
    if (error && !error.hidden) { // keep a shown error across re-renders of the same alert
      const kept = screen.querySelector("[data-testid=alert-error]");
      kept.textContent = error.textContent;
      kept.hidden = false;
    }
    // Another responder's accept redraws the screen: the reader keeps their place and the open menu.
    if (same && !same.querySelector("[data-testid=nav-menu]").hidden && links.length) {
      navMenu.hidden = false;
      screen.querySelector("[data-testid=navigate]").setAttribute("aria-expanded", "true");
    }
    const scrolled = same ? same.scrollTop : 0;
    zq.redraw(screenRoot, () => {
      screenRoot.replaceChildren(screen);
      screen.scrollTop = scrolled;
    });
  }

  // Opened from a notification (the service worker posts the alert id).
  if (navigator.serviceWorker) {
    navigator.serviceWorker.addEventListener("message", (ev) => {
      if (ev.data && ev.data.type === "open-alert" && find(ev.data.alert_id)) open(ev.data.alert_id);
    });
  }
  const hash = /^#alert-(\d+)$/.exec(location.hash);

  render();
  if (hash && find(Number(hash[1]))) open(Number(hash[1]));

  global.ZQP.alerts = { apply: apply, replayDone: replayDone, render: render, open: open, close: close, ringLog: ringLog, notifyLog: notifyLog,
    isAlertEvent: (type) => typeof type === "string" && type.startsWith("alert.") };
})(window);
