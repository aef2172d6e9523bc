/* Zhengqi browser client shared by the phone app and the dashboard.
 *
 * zq.api(method, path, body, {headers, raw})  JSON over /api/v1 with the page's session (CSRF header
 *                             on writes); rejects with an ApiError {status, code, message, details}.
 * zq.socket(path, handlers)   the /ws/v1 protocol of docs/PROTOCOL.md: hello with a bearer
 *                             token and `since`, replay, seq de-duplication, coalesced acks,
 *                             pings (a socket that stops answering is dropped and replaced),
 *                             reconnect with capped exponential backoff and full jitter.
 * zq.t(msgid)                 gettext from /jsi18n/ (falls back to the msgid).
 * zq.toDatum(lat, lon, datum) WGS-84 -> GCJ-02 / BD-09 (for tiles and navigation apps).
 */
(function (global) {
  "use strict";

  const t = (msgid) => (typeof global.gettext === "function" ? global.gettext(msgid) : msgid);
  const interpolate = (fmt, obj) => (typeof global.interpolate === "function" ? global.interpolate(fmt, obj, true) : fmt);

  function cookie(name) {
    const hit = document.cookie.split(";").map((c) => c.trim()).find((c) => c.startsWith(name + "="));
    return hit ? decodeURIComponent(hit.slice(name.length + 1)) : "";
  }

  class ApiError extends Error {
    constructor(status, body) {
      super((body && body.message) || t("The server could not be reached."));
      this.status = status;
      this.code = (body && body.code) || (status ? "http_" + status : "network");
      this.details = body && body.details;
    }
  }

  async function api(method, path, body, options) {
    const opts = options || {};
    const headers = Object.assign({ Accept: "application/json", "Accept-Language": document.documentElement.lang || "zh-hans" }, opts.headers);
    const init = { method: method, headers: headers, credentials: "same-origin" };
    if (method !== "GET" && method !== "HEAD") headers["X-CSRFToken"] = cookie("csrftoken");
    if (body instanceof FormData || body instanceof Blob) {
      init.body = body;
    } else if (body !== undefined && body !== null) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path.startsWith("/") ? path : "/api/v1/" + path, init);
    } catch (err) {
      throw new ApiError(0, null);
    }
    if (opts.raw) {
      if (!response.ok) throw new ApiError(response.status, await response.json().catch(() => null));
      return response;
    }
    const text = await response.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (err) { data = null; }
    if (!response.ok) throw new ApiError(response.status, data);
    return data;
  }

  /* A fresh Idempotency-Key (128 random bits as hex): crypto.randomUUID needs a secure context, this does not. */
  function newKey() {
    return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
  }

  /* ---- the city's clock: every time shown or typed is Beijing time, whatever zone the device is set to
   * (China has kept +08:00 all year since 1991, so a wall-clock value converts with a fixed offset). ---- */
  const ZONE = "Asia/Shanghai";
  const ZONE_OFFSET_MS = 8 * 3600000;
  /* "YYYY-MM-DD" of a Date in Beijing. */
  function cityDay(date) { return new Date(date.getTime() + ZONE_OFFSET_MS).toISOString().slice(0, 10); }
  /* A Beijing wall-clock "YYYY-MM-DDTHH:MM[:SS]" (a datetime-local input's value) as an ISO instant. */
  function cityInputToIso(value) {
    if (!value) return null;
    const d = new Date(value + (value.length === 16 ? ":00" : "") + "+08:00");
    return Number.isNaN(d.getTime()) ? null : d.toISOString();
  }
  /* A Date as a datetime-local input's value in Beijing time. */
  function isoToCityInput(date) { return new Date(date.getTime() + ZONE_OFFSET_MS).toISOString().slice(0, 16); }

  /* ---- bearer token for the socket's hello (issued to the signed-in session) ----
   * Kept with the user it was issued to: on a shared phone or desk, the next person to sign in
   * never says hello with the previous one's token (the server also ends such tokens with the
   * session, and a new sign-in revokes the old session's). */
  const TOKEN_KEY = "zq.token";
  async function socketToken(fresh, user) {
    const owner = String(user || "");
    if (!fresh) {
      try {
        const kept = JSON.parse(localStorage.getItem(TOKEN_KEY) || "null");
        if (kept && kept.token && kept.user === owner && Date.parse(kept.expires_at) - Date.now() > 60000) return kept.token;
      } catch (err) { /* a corrupt entry is replaced below */ }
    }
    forgetToken(); // someone else's, expiring or asked to be fresh: never left behind
    const issued = await api("POST", "auth/session-token");
    localStorage.setItem(TOKEN_KEY, JSON.stringify({ token: issued.token, expires_at: issued.expires_at, user: owner }));
    return issued.token;
  }
  function forgetToken() { localStorage.removeItem(TOKEN_KEY); }

  /* ---- the socket ---- */
  const NO_RETRY = new Set([4400, 4403, 4413]);

  function socket(path, handlers) {
    const h = handlers || {};
    const seqKey = "zq.seq." + path + "." + (h.userKey || "me");
    let lastSeq = Number(localStorage.getItem(seqKey) || 0);
    let ws = null;
    let attempt = 0;
    let stopped = false;
    let retryTimer = null;
    let ackTimer = null;
    let pingTimer = null;
    let livenessTimer = null;
    let lastHeard = 0;
    let ackedSeq = lastSeq;
    let freshToken = false;
    let state = "";

    function setState(next, detail) {
      if (next === state) return;
      state = next;
      if (h.onState) h.onState(next, detail);
    }

    // Liveness: a link can die without a close (carrier NAT timeout, a dead Wi-Fi uplink, a phone
    // waking from sleep), and TCP may take many minutes to notice. Every ping must be answered
    // (by its pong or any other frame) within PONG_WITHIN, or the socket is dropped and replaced.
    const PING_EVERY = 25000;
    const PONG_WITHIN = 10000;
    function probe() {
      if (!ws || ws.readyState !== WebSocket.OPEN) return;
      const sent = Date.now();
      ws.send('{"type":"ping"}');
      clearTimeout(livenessTimer);
      livenessTimer = setTimeout(() => { if (ws && lastHeard < sent) { drop(); retry(0); } }, PONG_WITHIN);
    }
    function drop() {
      clearInterval(pingTimer);
      clearTimeout(livenessTimer);
      if (!ws) return;
      const dead = ws;
      ws = null; // its late frames and its close are ignored from here on
      try { dead.close(1000); } catch (err) { /* already closing */ }
    }

    function sendAck() {
      ackTimer = null;
      if (ws && ws.readyState === WebSocket.OPEN && lastSeq > ackedSeq) {
        ws.send(JSON.stringify({ type: "ack", seq: lastSeq }));
        ackedSeq = lastSeq;
      }
    }

    let connecting = false;
    async function connect() {
      retryTimer = null;
      if (stopped || connecting || ws) return;
      connecting = true;
      setState("connecting");
      let token;
      try {
        token = await socketToken(freshToken, h.userKey);
        freshToken = false;
      } catch (err) {
        connecting = false;
        if (err.status === 401 || err.status === 403) { setState("signed_out"); if (h.onSignedOut) h.onSignedOut(); return; }
        return retry(0);
      }
      connecting = false;
      if (stopped || ws) return;
      const scheme = location.protocol === "https:" ? "wss://" : "ws://";
      ws = new WebSocket(scheme + location.host + path);
      const opened = ws;
      ws.onopen = () => opened.send(JSON.stringify({ type: "hello", token: token, since: lastSeq }));
      ws.onmessage = (message) => {
        if (ws !== opened) return; // a socket dropped on going offline may still deliver a late frame
        lastHeard = Date.now();
        let frame;
        try { frame = JSON.parse(message.data); } catch (err) { return; }
        if (frame.type === "welcome") {
          attempt = 0;
          // A stream reset on the server (restored database): start over.
          if (typeof frame.seq === "number" && frame.seq < lastSeq) { lastSeq = 0; ackedSeq = 0; }
          setState("open");
          clearInterval(pingTimer);
          pingTimer = setInterval(probe, PING_EVERY);
          // An ack lost with the previous socket (processed while the link died): send it again.
          if (lastSeq > ackedSeq && !ackTimer) ackTimer = setTimeout(sendAck, 1000);
          if (h.onWelcome) h.onWelcome(frame);
        } else if (frame.type === "event" && typeof frame.seq === "number") {
          if (frame.seq <= lastSeq) return; // already processed: drop the duplicate
          lastSeq = frame.seq;
          try { if (h.onEvent) h.onEvent(frame.event, frame.seq); } finally {
            localStorage.setItem(seqKey, String(lastSeq));
            if (!ackTimer) ackTimer = setTimeout(sendAck, 1000); // coalesced, as the protocol asks
          }
        } else if (frame.type === "event") {
          if (h.onEphemeral) h.onEphemeral(frame.event);
        } else if (frame.type === "error") {
          if (h.onError) h.onError(frame.code);
        } else if (h.onFrame) {
          h.onFrame(frame);
        }
      };
      ws.onclose = (close) => {
        if (ws !== opened) return; // an older socket closing late (e.g. after going offline)
        clearInterval(pingTimer);
        clearTimeout(livenessTimer);
        ws = null;
        if (stopped) return;
        if (NO_RETRY.has(close.code)) { setState("failed", close.code); return; }
        if (close.code === 4401) { forgetToken(); freshToken = true; }
        retry(close.code === 4429 ? 5000 : 0);
      };
    }

    function retry(minimum) {
      clearTimeout(retryTimer);
      retryTimer = null;
      // No network: the "online" event reconnects at once; until then only try at the slowest pace
      // (navigator.onLine can be wrong on some devices, so never give up entirely).
      const offline = navigator.onLine === false;
      setState(offline ? "offline" : "reconnecting");
      const cap = offline ? 30000 : Math.min(30000, 500 * Math.pow(2, attempt));
      const delay = Math.max(minimum, Math.random() * cap); // full jitter
      attempt += 1;
      retryTimer = setTimeout(connect, delay);
    }

    // Coming back online: try at once instead of waiting out the backoff.
    global.addEventListener("online", () => {
      if (!stopped && !ws && !connecting) { clearTimeout(retryTimer); retryTimer = null; attempt = 0; connect(); }
    });
    // Going offline: a socket may linger half-open for minutes on a phone; drop it now and say so.
    global.addEventListener("offline", () => {
      if (stopped) return;
      clearTimeout(retryTimer);
      retryTimer = null;
      drop();
      setState("offline");
    });
    // Back in view (a phone unlocked, a tab brought forward): check the link at once instead of
    // trusting a socket that may have died while the page slept.
    document.addEventListener("visibilitychange", () => {
      if (!stopped && document.visibilityState === "visible") probe();
    });

    connect();
    return {
      send(frame) { if (ws && ws.readyState === WebSocket.OPEN) { ws.send(JSON.stringify(frame)); return true; } return false; },
      get state() { return state; },
      get lastSeq() { return lastSeq; },
      close() { stopped = true; clearTimeout(retryTimer); drop(); setState("closed"); },
    };
  }

  /* ---- datums (same formulas as prcoords on the server; display/navigation only) ---- */
  const A = 6378245.0;
  const EE = 0.00669342162296594323;
  function outOfChina(lat, lon) { return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271; }
  function dLat(x, y) {
    let r = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    r += ((20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2) / 3;
    r += ((20 * Math.sin(y * Math.PI) + 40 * Math.sin((y / 3) * Math.PI)) * 2) / 3;
    r += ((160 * Math.sin((y / 12) * Math.PI) + 320 * Math.sin((y * Math.PI) / 30)) * 2) / 3;
    return r;
  }
  function dLon(x, y) {
    let r = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    r += ((20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2) / 3;
    r += ((20 * Math.sin(x * Math.PI) + 40 * Math.sin((x / 3) * Math.PI)) * 2) / 3;
    r += ((150 * Math.sin((x / 12) * Math.PI) + 300 * Math.sin((x / 30) * Math.PI)) * 2) / 3;
    return r;
  }
  function wgsToGcj(lat, lon) {
    if (outOfChina(lat, lon)) return [lat, lon];
    let dlat = dLat(lon - 105, lat - 35);
    let dlon = dLon(lon - 105, lat - 35);
    const radLat = (lat / 180) * Math.PI;
    let magic = Math.sin(radLat);
    magic = 1 - EE * magic * magic;
    const sqrtMagic = Math.sqrt(magic);
    dlat = (dlat * 180) / (((A * (1 - EE)) / (magic * sqrtMagic)) * Math.PI);
    dlon = (dlon * 180) / ((A / sqrtMagic) * Math.cos(radLat) * Math.PI);
    return [lat + dlat, lon + dlon];
  }
  function gcjToBd(lat, lon) {
    const x = lon, y = lat;
    const z = Math.sqrt(x * x + y * y) + 0.00002 * Math.sin((y * Math.PI * 3000) / 180);
    const theta = Math.atan2(y, x) + 0.000003 * Math.cos((x * Math.PI * 3000) / 180);
    return [z * Math.sin(theta) + 0.006, z * Math.cos(theta) + 0.0065];
  }
  function toDatum(lat, lon, datum) {
    if (datum === "gcj02") return wgsToGcj(lat, lon);
    if (datum === "bd09") { const g = wgsToGcj(lat, lon); return gcjToBd(g[0], g[1]); }
    return [lat, lon];
  }

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => {
      if (v === null || v === undefined || v === false) return;
      if (k === "text") node.textContent = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : v);
    });
    (children || []).forEach((c) => node.append(c));
    return node;
  }

  /* Draws `root` again with `draw()` without eating what the user is doing in it: the field that has
     the focus gets it back with its caret, and fields marked data-keep get back what was typed. A
     field is found again by its data-testid within the nearest [data-key] (an alert, a session).
     While an input method is composing in `root` (pinyin not yet turned into characters), the redraw
     waits for the composition to end: replacing the field would drop it, or commit the raw letters.
     Only the newest draw of a root runs then. */
  const pendingDraws = new Map();
  let composingIn = null;
  function compositionOver() {
    composingIn = null;
    // After the input event that carries the committed text.
    setTimeout(() => {
      const due = Array.from(pendingDraws.entries());
      pendingDraws.clear();
      due.forEach(([root, draw]) => redraw(root, draw));
    }, 0);
  }
  document.addEventListener("compositionstart", (ev) => { composingIn = ev.target; }, true);
  document.addEventListener("compositionend", compositionOver, true);
  // A composition abandoned without its end event (the field left): the deferred draws run all the same.
  document.addEventListener("focusout", (ev) => { if (ev.target === composingIn) compositionOver(); }, true);

  function redraw(root, draw) {
    if (composingIn && composingIn.isConnected && composingIn === document.activeElement && root.contains(composingIn)) {
      pendingDraws.set(root, draw);
      return;
    }
    pendingDraws.delete(root); // superseded by this one
    const keyOf = (node) => {
      const item = node.parentElement && node.parentElement.closest("[data-key]");
      return (item && root.contains(item) ? item.dataset.key : "") + "|" + node.dataset.testid;
    };
    const kept = new Map();
    root.querySelectorAll("[data-keep][data-testid]").forEach((node) => kept.set(keyOf(node), node.value));
    const active = document.activeElement;
    let focused = null;
    if (active && active !== root && root.contains(active) && active.dataset.testid) {
      let range = null;
      try { // null or an exception for fields without a caret (checkboxes, selects, buttons)
        if (typeof active.selectionStart === "number") range = [active.selectionStart, active.selectionEnd, active.selectionDirection];
      } catch (err) { range = null; }
      focused = { key: keyOf(active), range: range };
    }
    draw();
    root.querySelectorAll("[data-keep][data-testid]").forEach((node) => {
      const value = kept.get(keyOf(node));
      if (value !== undefined) node.value = value;
    });
    if (!focused) return;
    const again = Array.from(root.querySelectorAll("[data-testid]")).find((node) => keyOf(node) === focused.key);
    if (!again) return;
    again.focus();
    if (focused.range && typeof again.setSelectionRange === "function") {
      try { again.setSelectionRange(...focused.range); } catch (err) { /* the field lost its caret kind */ }
    }
  }

  global.zq = { api: api, ApiError: ApiError, socket: socket, socketToken: socketToken, forgetToken: forgetToken,
    newKey: newKey, ZONE: ZONE, cityDay: cityDay, cityInputToIso: cityInputToIso, isoToCityInput: isoToCityInput,
    t: t, interpolate: interpolate, toDatum: toDatum, el: el, cookie: cookie, redraw: redraw };
})(window);
