/* My trainings and meetings: the list (kept on the device for offline reading), the join link
 * of video sessions, check-in with the rotating code the host shows, and leave requests.
 * Invitations and changes arrive on the socket and refresh the list. */
(function (global) {
  "use strict";
  const { el } = zq;
  const KIND_LABELS = { training: "Training", meeting: "Meeting" };
  const MODE_LABELS = { in_person: "In person", video: "Video", both: "In person and video" };
  const STATUS_LABELS = { scheduled: "Scheduled", started: "Started", ended: "Ended", cancelled: "Cancelled" };
  const ATTENDANCE_LABELS = { invited: "Invited", present: "Present", late: "Late", absent: "Absent", excused: "Excused" };
  const LEAVE_LABELS = {
    pending: "Leave requested: waiting for a decision.",
    approved: "Leave approved: you are excused.",
    rejected: "Leave not approved: please attend.",
  };
  const CHECKED_IN = new Set(["present", "late"]);

  const listNode = document.querySelector("[data-testid=session-list]");
  const emptyNode = document.querySelector("[data-testid=session-empty]");
  const errorNode = document.querySelector("[data-testid=session-error]");
  let sessions = ZQP.store.get("sessions", []);
  const joinLinks = ZQP.store.get("join_links", {}); // session id -> join URL (from the session's venues)
  const leaves = ZQP.store.get("leaves", {}); // session id -> "pending" once asked on this device (until the list says)
  const drafts = {}; // what was typed, kept across re-renders
  const sending = new Set(); // "checkin-<id>" / "leave-<id>" on their way: the button stays off through re-renders
  let loading = null;
  let refreshTimer = null;
  let changesHere = 0; // check-ins and leave requests this device made: a list read before one is stale

  const OPENS_MS = (ZQP.boot.checkin_opens_min || 30) * 60000;
  const checkinOpen = (s) => Date.parse(s.start) - OPENS_MS <= Date.now() && s.status !== "cancelled";
  const over = (s) => Date.parse(s.end) <= Date.now() || s.status === "ended" || s.status === "cancelled";

  let readAgain = false; // news arrived while a read was on its way: that read may predate it

  async function load() {
    if (loading) {
      readAgain = true;
      return loading;
    }
    loading = (async () => {
      try {
        let page = null;
        for (let reads = 0; reads < 3 && !page; reads++) {
          const before = changesHere;
          page = await zq.api("GET", "me/sessions?limit=100");
          // A check-in made while this read was on its way would vanish from the screen: read again.
          if (before !== changesHere) page = null;
        }
        if (!page) return;
        sessions = page.items;
        ZQP.store.set("sessions", sessions);
        ZQP.showError(errorNode, null);
        render();
        await loadJoinLinks();
      } catch (err) {
        if (err.status !== 0) ZQP.showError(errorNode, err); // offline: the kept list stays on screen
      } finally {
        loading = null;
        if (readAgain) {
          readAgain = false;
          load();
        }
      }
    })();
    return loading;
  }

  /* Video sessions that are still to come: the join link of the member's own room, which the server names
     (`own_venue_id`: their township's or county's room in a city session, else the host's). Read again with
     every list, since a township's room appears only when its county passes the session on (and a link kept
     by an older version may be the host's room); the kept links are for offline. */
  async function loadJoinLinks() {
    const wanted = sessions.filter((s) => s.mode !== "in_person" && !over(s)).slice(0, 5);
    let changed = false;
    for (const s of wanted) {
      let link = "";
      try {
        const detail = await zq.api("GET", `sessions/${s.id}`);
        const venue = (detail.venues || []).find((v) => v.id === detail.own_venue_id);
        link = venue ? venue.join_url : "";
      } catch (err) {
        if (err.status === 0) break; // offline: the kept links stay
      }
      if (joinLinks[s.id] !== link) {
        joinLinks[s.id] = link;
        changed = true;
      }
    }
    if (!changed) return;
    ZQP.store.set("join_links", joinLinks);
    render();
  }

  function refreshSoon() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(load, 300); // one reload for a burst of invitations
  }

  async function checkin(s, item) {
    const input = item.querySelector("[data-testid=checkin-code]");
    const error = item.querySelector("[data-testid=checkin-error]");
    const code = input.value.trim();
    if (!code) { input.focus(); return; }
    const done = startSending("checkin", s, item);
    if (!done) return;
    ZQP.showError(error, null);
    const fix = global.ZQP.duty && ZQP.duty.lastFix();
    const body = fix ? { code: code, lat: fix.lat, lon: fix.lon, datum: "wgs84" } : { code: code };
    delete (drafts[s.id] || {}).checkinError;
    try {
      const result = await zq.api("POST", `sessions/${s.id}/checkin`, body);
      changesHere++;
      const shown = sessions.find((x) => x.id === s.id) || s; // the list may have been read again meanwhile
      shown.attendance = result.status;
      shown.checked_in_at = result.checked_in_at;
      delete drafts[s.id];
      ZQP.store.set("sessions", sessions);
      render();
    } catch (err) {
      if (err.code === "already_checked_in") refreshSoon();
      // Kept with the draft: a refresh of the list (an invitation or reminder arriving) keeps it on screen.
      drafts[s.id] = { ...(drafts[s.id] || {}), code: code, checkinError: err };
      render();
    } finally {
      done();
    }
  }

  /* One check-in or leave request per session at a time: its button (`<what>-submit`) stays off, through
     re-renders, until the returned function is called; null if one is already on its way. */
  function startSending(what, s, item) {
    const key = what + "-" + s.id;
    if (sending.has(key)) return null;
    sending.add(key);
    item.querySelector(`[data-testid=${what}-submit]`).disabled = true;
    return () => {
      sending.delete(key);
      const button = listNode.querySelector(`[data-key="session-${s.id}"] [data-testid=${what}-submit]`);
      if (button) button.disabled = false;
    };
  }

  async function requestLeave(s, item) {
    const reason = item.querySelector("[data-testid=leave-reason]").value.trim();
    const error = item.querySelector("[data-testid=leave-error]");
    if (!reason) { item.querySelector("[data-testid=leave-reason]").focus(); return; }
    const done = startSending("leave", s, item);
    if (!done) return;
    ZQP.showError(error, null);
    delete (drafts[s.id] || {}).leaveError;
    try {
      const result = await zq.api("POST", `sessions/${s.id}/leave`, { reason: reason });
      changesHere++;
      leaves[s.id] = result.status;
      ZQP.store.set("leaves", leaves);
      const shown = sessions.find((x) => x.id === s.id) || s; // the list may have been read again meanwhile
      shown.leave = result.status;
      ZQP.store.set("sessions", sessions);
      delete drafts[s.id];
      render();
    } catch (err) {
      drafts[s.id] = { ...(drafts[s.id] || {}), leave: reason, leaveOpen: true, leaveError: err };
      render();
    } finally {
      done();
    }
  }

  function item(s) {
    const draft = drafts[s.id] || {};
    const done = over(s);
    const checkedIn = CHECKED_IN.has(s.attendance);
    const node = el("li", { class: "ph-item ph-session" + (done ? " ph-past" : ""), "data-session-id": s.id, "data-key": "session-" + s.id,
      "data-status": s.status }, [
      el("span", { class: "ph-item-head" }, [
        el("span", { class: "ph-badge", text: zq.t(KIND_LABELS[s.kind] || s.kind) }),
        el("span", { class: "ph-item-status", "data-testid": "session-attendance", "data-attendance": s.attendance,
          text: zq.t(ATTENDANCE_LABELS[s.attendance] || s.attendance) }),
      ]),
      el("strong", { class: "ph-item-title", "data-testid": "session-title", text: s.title }),
      el("span", { class: "zq-muted", text: `${ZQP.formatTime(s.start, true)} – ${ZQP.formatTime(s.end)} · ${zq.t(MODE_LABELS[s.mode] || s.mode)} · ${zq.t(STATUS_LABELS[s.status] || s.status)}` }),
    ]);
    if (checkedIn) {
      node.append(el("p", { class: "ph-ok", "data-testid": "checkin-result", "data-status": s.attendance,
        text: zq.interpolate(zq.t("Checked in at %(time)s: %(status)s"),
          { time: ZQP.formatTime(s.checked_in_at), status: zq.t(ATTENDANCE_LABELS[s.attendance]) }) }));
    }
    if (done) return node;
    if (joinLinks[s.id]) {
      node.append(el("a", { class: "ph-join", href: joinLinks[s.id], target: "_blank", rel: "noopener",
        "data-testid": "session-join", text: zq.t("Join the video session") }));
    }
    if (!checkedIn && checkinOpen(s)) {
      const form = el("form", { class: "ph-checkin", onsubmit: (ev) => { ev.preventDefault(); checkin(s, node); } }, [
        el("input", { "data-testid": "checkin-code", inputmode: "numeric", autocomplete: "one-time-code", maxlength: "12",
          placeholder: zq.t("Check-in code"), "aria-label": zq.t("Check-in code"), value: draft.code || "",
          oninput: (ev) => { drafts[s.id] = { ...(drafts[s.id] || {}), code: ev.target.value }; } }),
        el("button", { type: "submit", class: "zq-primary", "data-testid": "checkin-submit", disabled: sending.has("checkin-" + s.id),
          text: zq.t("Check in") }),
      ]);
      const error = el("p", { class: "zq-error", "data-testid": "checkin-error", role: "alert", hidden: true });
      ZQP.showError(error, draft.checkinError);
      node.append(form, error);
    } else if (!checkedIn) {
      node.append(el("p", { class: "zq-muted", "data-testid": "checkin-later",
        text: zq.interpolate(zq.t("Check-in opens at %(time)s."),
          { time: ZQP.formatTime(new Date(Date.parse(s.start) - OPENS_MS).toISOString(), true) }) }));
    }
    // The leave request's status as the server last said (decided by a coordinator), else as asked here.
    const leave = s.leave || leaves[s.id];
    if (!checkedIn) {
      if (leave) {
        node.append(el("p", { class: leave === "rejected" ? "zq-error" : "zq-muted", "data-testid": "leave-result", "data-status": leave,
          text: zq.t(LEAVE_LABELS[leave] || LEAVE_LABELS.pending) }));
      } else {
        const leaveForm = el("form", { class: "ph-leave", hidden: !draft.leaveOpen,
          onsubmit: (ev) => { ev.preventDefault(); requestLeave(s, node); } }, [
          el("textarea", { "data-testid": "leave-reason", rows: "2", maxlength: "200", placeholder: zq.t("Reason for leave"),
            "aria-label": zq.t("Reason for leave"),
            oninput: (ev) => { drafts[s.id] = { ...(drafts[s.id] || {}), leave: ev.target.value, leaveOpen: true }; } }),
          el("button", { type: "submit", "data-testid": "leave-submit", disabled: sending.has("leave-" + s.id),
            text: zq.t("Send leave request") }),
          el("p", { class: "zq-error", "data-testid": "leave-error", role: "alert", hidden: true }),
        ]);
        ZQP.showError(leaveForm.querySelector("[data-testid=leave-error]"), draft.leaveError);
        leaveForm.querySelector("textarea").value = draft.leave || "";
        node.append(el("button", { type: "button", class: "ph-link", "data-testid": "leave-open", hidden: !!draft.leaveOpen,
          onclick: (ev) => { leaveForm.hidden = false; ev.currentTarget.hidden = true; drafts[s.id] = { ...(drafts[s.id] || {}), leaveOpen: true }; },
          text: zq.t("Cannot attend? Request leave") }), leaveForm);
      }
    }
    return node;
  }

  let shape = "";
  function render() {
    // Typing survives a refresh: the drafts keep what was typed, zq.redraw the focus and the caret (without
    // the caret, a refresh in the middle of typing a code would send the next digits to the front).
    zq.redraw(listNode, () => {
      const upcoming = sessions.filter((s) => !over(s));
      const past = sessions.filter(over).reverse().slice(0, 10);
      listNode.replaceChildren(...upcoming.map(item), ...past.map(item));
    });
    emptyNode.hidden = sessions.length > 0;
    shape = currentShape();
  }
  // What the clock changes: a check-in opening, a session ending. Re-render only then.
  const currentShape = () => sessions.map((s) => `${s.id}:${checkinOpen(s)}:${over(s)}`).join(",");
  setInterval(() => { if (currentShape() !== shape) render(); }, 30000);

  const MESSAGES = {
    "session.invited": "New invitation: %(title)s",
    "session.changed": "Changed: %(title)s",
    "session.cancelled": "Cancelled: %(title)s",
    "session.reminder": "Starting soon: %(title)s",
    "session.starting": "Starting now: %(title)s",
    "session.leave_decided": "Leave approved: %(title)s",
  };

  function apply(event, replaying) {
    if (!(event.type in MESSAGES)) return;
    const message = event.type === "session.leave_decided" && !event.approved ? "Leave not approved: %(title)s" : MESSAGES[event.type];
    if (!replaying) ZQP.toast(zq.interpolate(zq.t(message), { title: event.session.title }));
    refreshSoon();
  }

  render();
  load();
  global.addEventListener("online", refreshSoon);

  global.ZQP.sessions = { apply: apply, load: load, isSessionEvent: (type) => type in MESSAGES };
})(window);
