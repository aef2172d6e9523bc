/* Trainings and meetings: schedule one (the form is dashboard-sessions-form.js), see the receipts of the
 * units below and confirm one's own unit's, start it, show the rotating check-in code (and its QR)
 * big, count attendance live. The roll (invitees, hand marks, leave requests) is dashboard-sessions-roll.js.
 */
(function () {
  "use strict";
  const D = zqDash;
  const t = zq.t;
  const el = zq.el;
  const list = document.querySelector("[data-testid=session-list-admin]");
  const detail = document.querySelector("[data-testid=session-detail]");
  const STATUS = { scheduled: "Scheduled", started: "Started", ended: "Ended", cancelled: "Cancelled" };
  const KINDS = { training: "Training", meeting: "Meeting" };
  const MODES = { in_person: "In person", video: "Video", both: "In person and video" };
  const RELAY = { pending: "Waiting for receipt", confirmed: "Received" };
  let selected = null;
  let visible = false;
  let codeTimer = null;
  let codeRun = 0;
  let codeFor = null;
  let listReads = 0; // the newest reads: an older answer that lands later is dropped
  let detailReads = 0;
  const acting = new Set(); // sessions with a start or cancel on its way: their buttons stay off
  const confirming = new Set(); // "<session>:<unit>" receipts on their way: their buttons stay off likewise
  // Where the viewer hosts sessions: a session hosted inside one of them is theirs to start, cancel, project
  // and mark (the API's "manages"); a relayed unit that is one of them is theirs to confirm. The API checks again.
  const hostUnits = D.config.host_units || [];
  const hosts = (session) => hostUnits.some((u) => session.host_area_code.startsWith(u.area_prefix));
  const ownUnit = (code) => hostUnits.some((u) => u.area_code === code);

  async function loadList() {
    const read = ++listReads;
    let data;
    try { data = await zq.api("GET", "sessions?limit=100"); } catch (err) { D.toast(D.errorText(err), "error"); return; }
    if (read !== listReads) return;
    list.replaceChildren(...data.items.map((s) => el("li", { "data-session-id": s.id }, [
      el("a", { href: "#sessions/" + s.id, "aria-current": String(s.id) === String(selected) ? "true" : null }, [
        el("span", { class: "zq-badge", "data-status": s.status, text: t(STATUS[s.status] || s.status) }), " ", s.title,
        el("small", { text: t(KINDS[s.kind] || s.kind) + " · " + D.fmtTime(s.start) + " · " + D.areaName(s.host_area_code) }),
      ]),
    ])));
    if (!data.items.length) list.replaceChildren(el("li", {}, [el("span", { class: "zq-muted", text: t("Nothing scheduled yet.") })]));
  }

  const loadAreas = D.loadAreas;

  function newForm() {
    selected = null;
    stopCode();
    D.sessionForm.open(detail, { kinds: KINDS, modes: MODES });
  }

  function present(counts) { return (counts.present || 0) + (counts.late || 0); }

  /* The card shown for session `id`, if any (a reload of the same session redraws it in place). */
  function shownCard(id) { return detail.querySelector(`[data-testid=session-card][data-session-id="${id}"]`); }

  async function loadDetail(id) {
    const read = ++detailReads;
    let session, relays, counts, leaves;
    try {
      [session, relays, counts, leaves] = await Promise.all([
        zq.api("GET", "sessions/" + id), zq.api("GET", "sessions/" + id + "/relays").then((page) => page.items), zq.api("GET", "sessions/" + id + "/attendance"),
        zq.api("GET", "sessions/" + id + "/leave").then((page) => page.items),
      ]);
    } catch (err) {
      if (String(id) !== String(selected) || read !== detailReads) return;
      if (shownCard(id)) { // a refresh failed: what is shown stays, and so does a live session's code
        D.toast(D.errorText(err), "error");
        if (codeFor !== String(id) && detail.querySelector("[data-testid=checkin-panel]")) showCode(id);
        return;
      }
      stopCode();
      detail.replaceChildren(el("p", { class: "zq-error", text: D.errorText(err) }));
      return;
    }
    if (String(id) !== String(selected) || read !== detailReads) return; // another session or a newer read meanwhile
    const mine = hosts(session);
    // Each room takes its own roll: a coordinator below the host whom the session reaches (they see it,
    // and the API's roll lists only their own people) marks their people and shows the code on their screen.
    const room = mine || hostUnits.length > 0;
    const live = session.status === "scheduled" || session.status === "started";
    const projected = live && room;
    const busy = acting.has(String(id));
    const actions = el("div", { class: "zq-actions" }, [
      session.status === "scheduled" && mine
        ? el("button", { type: "button", class: "zq-primary", "data-testid": "session-start", disabled: busy, onclick: () => post(id, "start"), text: t("Start now") })
        : null,
      live && mine ? el("button", { type: "button", "data-testid": "session-cancel", disabled: busy, onclick: () => { if (window.confirm(t("Cancel this session? Everyone invited is told."))) post(id, "cancel", { reason: "" }); }, text: t("Cancel session") }) : null,
      el("a", { class: "zq-button", href: "/api/v1/sessions/" + id + "/ics", text: t("Calendar file") }),
    ].filter(Boolean));
    const card = el("article", { class: "zq-card", "data-testid": "session-card", "data-session-id": id, "data-status": session.status }, [
      el("h2", {}, [el("span", { class: "zq-badge", "data-status": session.status, text: t(STATUS[session.status] || session.status) }), " ", session.title]),
      el("p", { class: "zq-muted", text: [t(KINDS[session.kind] || session.kind), t(MODES[session.mode] || session.mode),
        D.fmtTime(session.start) + " – " + D.fmtTime(session.end), session.host_area_name].join(" · ") }),
      session.agenda ? el("p", { text: session.agenda }) : null,
      actions,
    ].filter(Boolean));
    const attendance = el("section", { class: "zq-card" }, [
      el("h2", { text: t("Attendance") }),
      el("div", { class: "zq-checkin" }, [
        el("div", {}, [
          el("div", { class: "zq-counter" }, [
            el("span", { "data-testid": "attendance-counter", text: String(present(counts)) }),
            el("span", { class: "zq-muted", text: " / " + D.fmtNumber(counts.total) }),
          ]),
          el("p", { class: "zq-muted", "data-testid": "attendance-breakdown", text: breakdown(counts) }),
        ]),
        projected ? el("div", { "data-testid": "checkin-panel" }, [
          el("p", { class: "zq-muted", text: t("Check-in code (changes every 30 seconds)") }),
          el("div", { class: "zq-code", "data-testid": "checkin-code-display", text: "······" }),
          el("p", { class: "zq-muted", "data-testid": "checkin-code-valid" }),
        ]) : null,
        projected ? el("img", { class: "zq-qr", "data-testid": "checkin-qr", alt: t("QR code of the check-in code") }) : null,
      ].filter(Boolean)),
    ]);
    const receipts = el("section", { class: "zq-card" }, [
      el("h2", { text: t("Receipts from the units below") }),
      relays.length
        ? el("table", { class: "zq-table", "data-testid": "relay-table" }, [
          el("thead", {}, [el("tr", {}, [t("Unit"), t("Passed on by"), t("Receipt"), t("Confirmed at"), ""].map((h) => el("th", { text: h })))]),
          el("tbody", {}, relays.map((r) => el("tr", { "data-area-code": r.area_code, "data-status": r.status,
            "data-overdue": r.overdue ? "true" : null, "data-key": "relay-" + r.area_code }, [
            el("td", { text: D.areaName(r.area_code) }),
            el("td", { text: r.parent_area_code ? D.areaName(r.parent_area_code) : "" }),
            el("td", {}, [el("span", { class: "zq-state", "data-state": r.status === "confirmed" ? "accepted" : r.overdue ? "declined" : "",
              text: t(RELAY[r.status] || r.status) + (r.overdue ? " · " + t("overdue") : "") })]),
            el("td", { text: r.confirmed_at ? D.fmtTime(r.confirmed_at) : "" }),
            el("td", {}, live && r.status === "pending" && ownUnit(r.area_code)
              ? [el("button", { type: "button", class: "zq-primary", "data-testid": "relay-confirm", disabled: confirming.has(id + ":" + r.area_code),
                onclick: () => confirmRelay(id, r.area_code), text: t("Confirm receipt") })]
              : []),
          ]))),
        ])
        : el("p", { class: "zq-muted", text: t("This session is not relayed through lower units.") }),
    ]);
    // The code projected for the room stays on screen through a redraw (receipts come in all through
    // a session); the running rotation goes on and fetches the next one when it is due.
    const before = shownCard(id) && detail.querySelector("[data-testid=checkin-panel]");
    const keep = projected && before && codeFor === String(id);
    const roll = D.sessionRoll.section(session, leaves, { canMark: room && session.status !== "cancelled", reload: () => loadDetail(id) });
    if (keep) {
      const display = attendance.querySelector("[data-testid=checkin-code-display]");
      const old = before.querySelector("[data-testid=checkin-code-display]");
      display.textContent = old.textContent;
      if (old.dataset.validUntil) display.dataset.validUntil = old.dataset.validUntil;
      attendance.querySelector("[data-testid=checkin-code-valid]").textContent = before.querySelector("[data-testid=checkin-code-valid]").textContent;
      const qr = detail.querySelector("[data-testid=checkin-qr]");
      if (qr && qr.getAttribute("src")) attendance.querySelector("[data-testid=checkin-qr]").src = qr.getAttribute("src");
    }
    // Focus (a mark or confirm button clicked, the roll's filter) survives the redraw.
    zq.redraw(detail, () => detail.replaceChildren(card, attendance, receipts, roll));
    if (!projected) stopCode();
    else if (!keep) showCode(id);
  }

  function breakdown(counts) {
    return [[t("Present"), counts.present], [t("Late"), counts.late], [t("Excused"), counts.excused], [t("Not yet"), counts.invited]]
      .map(([l, n]) => l + " " + D.fmtNumber(n || 0)).join(" · ");
  }

  /* The code rotation: one at a time. `codeRun` tells a stopped rotation's late answers and timers
     apart from the running one's; `codeFor` is the session it runs for. */
  function stopCode() { clearTimeout(codeTimer); codeTimer = null; codeRun += 1; codeFor = null; }

  async function showCode(id) {
    stopCode();
    const run = codeRun;
    codeFor = String(id);
    const current = () => run === codeRun && String(id) === String(selected) && visible;
    let answer;
    try { answer = await zq.api("GET", "sessions/" + id + "/checkin-code"); } catch (err) {
      if (current()) codeTimer = setTimeout(() => showCode(id), 5000);
      return;
    }
    if (!current()) return;
    const display = detail.querySelector("[data-testid=checkin-code-display]");
    if (!display) return;
    display.textContent = answer.code;
    display.dataset.validUntil = answer.valid_until;
    const qr = detail.querySelector("[data-testid=checkin-qr]");
    if (qr) qr.src = answer.qr_svg;
    const until = Date.parse(answer.valid_until);
    const tick = () => {
      if (!current()) return;
      const left = Math.max(0, Math.round((until - Date.now()) / 1000));
      const valid = detail.querySelector("[data-testid=checkin-code-valid]"); // the detail may have been redrawn
      if (valid) valid.textContent = zq.interpolate(t("Next code in %(s)s s"), { s: left });
      // Rotated: fetch the next one (never faster than once a second, whatever the clocks say).
      if (left <= 0) { codeTimer = setTimeout(() => showCode(id), 1000); return; }
      codeTimer = setTimeout(tick, 1000);
    };
    tick();
  }

  /* One start or cancel at a time per session: a second click while the first is on its way does nothing. */
  async function post(id, action, body) {
    const key = String(id);
    if (acting.has(key)) return;
    acting.add(key);
    detail.querySelectorAll("[data-testid=session-start], [data-testid=session-cancel]").forEach((b) => { b.disabled = true; });
    try {
      await zq.api("POST", "sessions/" + id + "/" + action, body);
    } catch (err) {
      D.toast(D.errorText(err), "error");
    } finally {
      acting.delete(key);
    }
    loadList();
    loadDetail(id);
  }

  const refreshRoll = D.throttle(() => { if (visible && selected) D.sessionRoll.refresh(selected); }, 2000);
  /* One receipt per unit at a time: a second click while the first is on its way does nothing. */
  async function confirmRelay(id, code) {
    const key = id + ":" + code;
    if (confirming.has(key)) return;
    confirming.add(key);
    detail.querySelectorAll(`[data-testid=relay-table] tr[data-area-code="${code}"] [data-testid=relay-confirm]`).forEach((b) => { b.disabled = true; });
    try {
      await zq.api("POST", "sessions/" + id + "/relays/" + code + "/confirm", {});
      D.toast(zq.interpolate(t("Receipt confirmed for %(unit)s."), { unit: D.areaName(code) }));
    } catch (err) {
      D.toast(D.errorText(err), "error");
    } finally {
      confirming.delete(key);
    }
    loadDetail(id);
  }

  D.on("session.attendance", (event) => {
    if (!visible || String(event.session_id) !== String(selected)) return;
    refreshRoll();
    const counter = detail.querySelector("[data-testid=attendance-counter]");
    if (counter) counter.textContent = String(present(event.counts));
    const more = detail.querySelector("[data-testid=attendance-breakdown]");
    if (more) more.textContent = breakdown(event.counts);
  });
  const reloadDetail = D.throttle(() => { if (visible && selected) loadDetail(selected); }, 1000);
  D.on("session.relay_confirmed", (event) => { if (String(event.session_id) === String(selected)) reloadDetail(); });
  // To the unit above (or the host): units below did not confirm in time. The table shows them overdue.
  // (The notices themselves are dashboard-notices.js's.)
  D.on("session.relay_overdue", (event) => {
    if (visible && String(event.session.id) === String(selected)) reloadDetail();
  });
  D.on("session.relayed", () => { if (visible) loadList(); });
  D.on("reconnected", () => { if (visible) { loadList(); if (selected) loadDetail(selected); } });

  document.querySelector("[data-testid=session-new]").addEventListener("click", () => {
    if (location.hash === "#sessions/new") newForm(); else D.go("#sessions/new");
  });
  if (!D.config.can.host_sessions) document.querySelector("[data-testid=session-new]").hidden = true;

  D.view("sessions", {
    show(param) {
      visible = true;
      selected = param && param !== "new" ? param : null;
      loadAreas().catch(() => null).then(loadList);
      if (param === "new") newForm();
      else if (selected) loadDetail(selected);
      else {
        stopCode();
        const hint = D.config.can.host_sessions ? t("Choose a session, or schedule one.") : t("Choose a session.");
        detail.replaceChildren(el("p", { class: "zq-muted", text: hint }));
      }
    },
    hide() { visible = false; stopCode(); },
  });
})();
