/* The staff dashboard (/dashboard/): views behind a hash router, one socket, small helpers.
 *
 * zqDash.view(name, {show(param), hide()})  a section of the page (map, alerts, sessions, reports, people);
 *                                          #name/param in the URL shows it.
 * zqDash.on(type, fn)                      socket events by type ("alert.board", "coverage.changed",
 *                                          "presence", "reconnected", ...), ephemeral or durable alike;
 *                                          "durable" gets {event, seq, live} for each durable one, replay too.
 * zqDash.throttle(fn, ms)                  at most one call per ms, the last one always runs.
 * zqDash.readInto(box, path)               GET /api/v1/path for a list drawn in `box`: the answer, or null
 *                                          when a newer read of that box was asked for meanwhile or it failed.
 * Every string is an English msgid translated with zq.t (the server's catalogue via /jsi18n/).
 */
(function (global) {
  "use strict";
  const t = zq.t;
  const el = zq.el;
  const config = JSON.parse(document.getElementById("zq-config").textContent);
  const views = {};
  const handlers = {};
  let current = null;

  function on(type, fn) { (handlers[type] = handlers[type] || []).push(fn); }
  function emit(type, payload) {
    (handlers[type] || []).forEach((fn) => {
      try { fn(payload); } catch (err) { console.error(err); } // one broken view must not stop the others
    });
  }

  function throttle(fn, ms) {
    let last = 0;
    let timer = null;
    return function () {
      const wait = last + ms - Date.now();
      if (wait <= 0 && !timer) { last = Date.now(); fn(); return; }
      if (!timer) timer = setTimeout(() => { timer = null; last = Date.now(); fn(); }, Math.max(wait, 0));
    };
  }

  function debounce(fn, ms) {
    let timer = null;
    return function () { clearTimeout(timer); timer = setTimeout(fn, ms); };
  }

  let toastTimer = null;
  function toast(message, kind) {
    const box = document.querySelector("[data-testid=toast]");
    box.textContent = message;
    box.dataset.kind = kind || "info";
    box.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { box.hidden = true; }, kind === "error" ? 8000 : 4000);
  }

  function errorText(err) {
    if (!err) return t("Something went wrong.");
    return err.message || t("Something went wrong.");
  }

  const lang = document.documentElement.lang || "zh-hans";
  const locale = lang.startsWith("zh") ? "zh-CN" : "en-GB";
  const numberFmt = new Intl.NumberFormat(locale);
  const timeFmt = new Intl.DateTimeFormat(locale, { month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false, timeZone: zq.ZONE });
  function fmtNumber(n) { return n === null || n === undefined ? "–" : numberFmt.format(n); }
  function fmtTime(iso) { return iso ? timeFmt.format(new Date(iso)) : "–"; }
  function fmtPercent(share) { return share === null || share === undefined ? "–" : Math.round(share * 100) + "%"; }
  const unit = (fmt, n) => zq.interpolate(t(fmt), { n: n });
  function fmtDistance(m) {
    if (m === null || m === undefined) return "–";
    return m < 1000 ? unit("%(n)s m", Math.round(m)) : unit("%(n)s km", (m / 1000).toFixed(1));
  }
  function fmtSeconds(s) {
    if (s === null || s === undefined) return "–";
    return s < 90 ? unit("%(n)s s", Math.round(s)) : unit("%(n)s min", (s / 60).toFixed(1));
  }
  /* A datetime-local input holds Beijing time, whatever zone the browser is set to. */
  const localInputToIso = zq.cityInputToIso;
  const isoToLocalInput = zq.isoToCityInput;

  /* A search or page read for `box` (busy meanwhile): an answer older than the newest read asked for
     the same box is dropped (null); a failure shows its message in the box (null). */
  const boxReads = new WeakMap();
  async function readInto(box, path) {
    const read = (boxReads.get(box) || 0) + 1;
    boxReads.set(box, read);
    box.setAttribute("aria-busy", "true");
    let data = null;
    let failure = null;
    try { data = await zq.api("GET", path); } catch (err) { failure = err; }
    if (boxReads.get(box) !== read) return null;
    box.removeAttribute("aria-busy");
    if (failure) box.replaceChildren(el("p", { class: "zq-error", text: errorText(failure) }));
    return failure ? null : data;
  }

  const loaded = {};
  function loadScript(src) {
    if (!loaded[src]) {
      loaded[src] = new Promise((resolve, reject) => {
        const s = el("script", { src: src });
        s.onload = resolve;
        s.onerror = () => { delete loaded[src]; reject(new Error(t("A script of the page could not be loaded."))); };
        document.head.append(s);
      });
    }
    return loaded[src];
  }

  /* Area names from the map layers (counties and townships), for lists and tooltips. */
  const areaNames = {};
  config.grants.forEach((g) => { areaNames[g.area_code] = g.area_name; });
  function areaName(code) {
    if (!code) return "";
    return areaNames[code] || areaNames[code.slice(0, 9)] || areaNames[code.slice(0, 6)] || code;
  }

  /* Counties and townships of the jurisdiction, [{code, name, level}], fetched once (names for lists and pickers). */
  let areasLoaded = null;
  function loadAreas() {
    if (!areasLoaded) {
      areasLoaded = Promise.all([zq.api("GET", "coverage/layers/counties"), zq.api("GET", "coverage/layers/townships")])
        .then(([counties, townships]) => {
          const pick = (fc, level) => fc.features.map((f) => {
            areaNames[f.properties.code] = f.properties.name;
            return { code: f.properties.code, name: f.properties.name, level: level };
          });
          return [...pick(counties, "county"), ...pick(townships, "township")].sort((a, b) => a.code.localeCompare(b.code));
        })
        .catch((err) => { areasLoaded = null; throw err; });
    }
    return areasLoaded;
  }

  /* ---- views ---- */
  function view(name, impl) { views[name] = impl; }

  function route() {
    const raw = (location.hash || "#map").slice(1);
    const [name, ...rest] = raw.split("/");
    const target = views[name] ? name : "map";
    const param = rest.join("/") || null;
    document.querySelectorAll(".zq-view").forEach((section) => { section.hidden = section.dataset.view !== target; });
    document.querySelectorAll(".zq-nav a").forEach((a) => {
      if (a.dataset.view === target) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
    });
    if (current && current !== target && views[current].hide) views[current].hide();
    current = target;
    views[target].show(param);
  }

  function go(hash) {
    if (location.hash === hash) route(); else location.hash = hash;
  }

  /* ---- the socket ---- */
  const LABELS = { connecting: "Connecting…", open: "Connected", reconnecting: "Reconnecting…", offline: "Offline", failed: "Disconnected", signed_out: "Signed out" };
  let welcomed = false;
  let missed = false; // the socket failed before its first welcome: the views' first reads may be stale
  let welcomeSeq = 0;
  let presence = null; // phones online per area: the welcome's snapshot, then each presence frame

  function start() {
    const conn = document.querySelector("[data-testid=conn-state]");
    global.addEventListener("hashchange", route);
    route();
    api.socket = zq.socket("/ws/v1/dashboard", {
      userKey: config.username,
      onState(state) {
        conn.dataset.state = state;
        conn.textContent = t(LABELS[state] || state);
        if (state === "reconnecting" || state === "offline") missed = true;
      },
      onSignedOut() { location.assign("/login/?next=/dashboard/"); },
      onWelcome(frame) {
        welcomeSeq = typeof frame.seq === "number" ? frame.seq : 0;
        // Ephemeral updates are not replayed: after a reconnect (or a first connection that took
        // retries, while the views had already read their data) every view reloads over HTTP.
        if (welcomed || missed) emit("reconnected");
        welcomed = true;
        missed = false;
      },
      onEphemeral(event) { if (event && event.type) emit(event.type, event); },
      // Durable events up to the welcome's seq are a replay of what this browser missed: views reload
      // state over HTTP anyway, so only news (seq beyond it) is announced by type. Every durable event,
      // replayed or live, is also announced as "durable" (the notices list keeps the missed ones).
      onEvent(event, seq) {
        if (!event || !event.type) return;
        const live = seq > welcomeSeq;
        emit("durable", { event: event, seq: seq, live: live });
        if (live) emit(event.type, event);
      },
      onFrame(frame) {
        // The snapshot right after the welcome carries the counts; presence frames only come on a change.
        if ((frame.type === "presence" || frame.type === "snapshot") && frame.online) {
          presence = frame.online;
          emit("presence", presence);
        }
      },
    });
  }

  const api = {
    config: config, view: view, on: on, emit: emit, go: go, start: start, throttle: throttle, debounce: debounce,
    toast: toast, errorText: errorText, readInto: readInto, loadScript: loadScript, areaNames: areaNames, areaName: areaName, loadAreas: loadAreas,
    fmtNumber: fmtNumber, fmtTime: fmtTime, fmtPercent: fmtPercent, fmtDistance: fmtDistance, fmtSeconds: fmtSeconds,
    localInputToIso: localInputToIso, isoToLocalInput: isoToLocalInput, socket: null, get current() { return current; },
    get presence() { return presence; },
  };
  global.zqDash = api;
  document.addEventListener("DOMContentLoaded", start);
})(window);
