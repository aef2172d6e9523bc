/* The alert board: alerts in the jurisdiction, and one alert's deliveries and responses, live.
 * `alert.board` events (ephemeral, coalesced by the server) carry the counts (responses and
 * read); the recipients table, with when each one read the alert, is then refetched at most
 * twice a second.
 */
(function () {
  "use strict";
  const D = zqDash;
  const t = zq.t;
  const el = zq.el;
  const list = document.querySelector("[data-testid=alert-list]");
  const detail = document.querySelector("[data-testid=alert-detail]");
  const STATES = ["accepted", "en_route", "on_scene", "done", "declined", "no_response"];
  const STATE_LABELS = {
    accepted: "Accepted", en_route: "En route", on_scene: "On scene", done: "Done", declined: "Declined", no_response: "No response",
  };
  const STATUS_LABELS = { active: "Active", cancelled: "Cancelled", closed: "Closed" };
  let selected = null; // alert id shown on the board
  let visible = false;
  let boardReads = 0; // the newest board read: an older answer that lands later is dropped
  const acting = new Set(); // alerts with an escalate or cancel on its way: their buttons stay off

  function accepted(counts) {
    return ["accepted", "en_route", "on_scene", "done"].reduce((n, s) => n + (counts[s] || 0), 0);
  }

  async function loadList() {
    let data;
    try { data = await zq.api("GET", "alerts?limit=50"); } catch (err) { D.toast(D.errorText(err), "error"); return; }
    list.replaceChildren(...data.items.map((a) => el("li", { "data-alert-id": a.id }, [
      el("a", { href: "#alerts/" + a.id, "aria-current": String(a.id) === String(selected) ? "true" : null }, [
        el("span", { class: "zq-badge", "data-status": a.status, text: t(STATUS_LABELS[a.status] || a.status) }), " ", a.title,
        el("small", { text: D.fmtTime(a.created_at) + " · " + D.areaName(a.area_code) + " · " +
          zq.interpolate(t("%(n)s recipients"), { n: D.fmtNumber(a.recipients) }) }),
      ]),
    ])));
    if (!data.items.length) list.replaceChildren(el("li", {}, [el("span", { class: "zq-muted", text: t("No alerts yet.") })]));
  }

  function stat(label, value, testid, key) {
    return el("div", { class: key ? "zq-key" : null }, [el("dt", { text: label }), el("dd", { "data-testid": testid, text: value })]);
  }

  async function loadBoard(id) {
    const read = ++boardReads;
    let alert, board;
    try {
      [alert, board] = await Promise.all([zq.api("GET", "alerts/" + id), zq.api("GET", "alerts/" + id + "/board")]);
    } catch (err) {
      if (String(id) !== String(selected) || read !== boardReads) return;
      if (detail.querySelector(`[data-testid=alert-board][data-alert-id="${id}"]`)) {
        // A refresh failed: the board on screen stays (with what is being typed in it); say so.
        D.toast(D.errorText(err), "error");
        return;
      }
      detail.replaceChildren(el("p", { class: "zq-error", text: D.errorText(err) }));
      return;
    }
    if (String(id) !== String(selected) || read !== boardReads) return; // another alert or a newer read meanwhile
    renderBoard(alert, board);
  }

  function renderBoard(alert, board) {
    const counts = board.by_state;
    const active = board.status === "active";
    const actions = el("div", { class: "zq-actions" }, [
      el("a", { class: "zq-button", href: "/api/v1/alerts/" + alert.id + "/cap", download: "alert-" + alert.id + ".cap.xml", "data-testid": "alert-cap", text: t("Download CAP") }),
    ]);
    if (active && board.manages !== false) { // a coordinator below an alert raised above them watches it
      actions.prepend(
        el("button", { type: "button", "data-testid": "alert-escalate", disabled: acting.has(alert.id), onclick: () => escalate(alert.id), text: t("Escalate now") }),
        el("input", { "data-testid": "alert-cancel-reason", "data-keep": true, maxlength: "500", placeholder: t("Reason for cancelling (optional)"), "aria-label": t("Reason for cancelling (optional)") }),
        el("button", { type: "button", class: "zq-primary", "data-testid": "alert-cancel", disabled: acting.has(alert.id), onclick: () => cancel(alert.id), text: t("Cancel alert") }),
      );
    }
    const rows = board.recipients.map((r) => el("tr", { "data-person-id": r.person_id }, [
      el("td", { text: r.name }),
      el("td", { text: D.areaName(r.area_code) }),
      el("td", { class: "zq-num", text: D.fmtDistance(r.distance_m) }),
      el("td", { class: "zq-num", text: String(r.wave) }),
      el("td", {}, [el("span", { class: "zq-state", "data-state": r.state || "no_response", text: t(STATE_LABELS[r.state || "no_response"]) })]),
      el("td", { text: r.accepted_at ? D.fmtTime(r.accepted_at) : "" }),
      el("td", { "data-testid": "recipient-read", "data-read": r.read_at ? "true" : "false",
        class: r.read_at ? null : "zq-muted", text: r.read_at ? D.fmtTime(r.read_at) : t("Not read") }),
    ]));
    const card = el("article", {
      class: "zq-card", "data-testid": "alert-board", "data-alert-id": alert.id, "data-key": "alert-" + alert.id, "data-status": board.status,
    }, [
      el("h2", {}, [el("span", { class: "zq-badge", "data-status": board.status, "data-testid": "board-status", text: t(STATUS_LABELS[board.status] || board.status) }), " ", alert.title]),
      el("p", { class: "zq-muted", text: [D.fmtTime(alert.created_at), D.areaName(alert.area_code),
        board.radius_m ? zq.interpolate(t("radius %(r)s"), { r: D.fmtDistance(board.radius_m) }) : "",
        zq.interpolate(t("%(n)s needed"), { n: board.needed })].filter(Boolean).join(" · ") }),
      el("dl", { class: "zq-counts" }, [
        stat(t("Recipients"), D.fmtNumber(board.recipients_total), "board-recipients"),
        stat(t("Delivered"), D.fmtNumber(alert.deliveries ? alert.deliveries.delivered : null), "board-delivered"),
        stat(t("Read"), D.fmtNumber(board.read), "board-read"),
        stat(t("Accepted"), D.fmtNumber(accepted(counts)), "board-accepted", true),
        stat(t("On scene"), D.fmtNumber((counts.on_scene || 0) + (counts.done || 0)), "board-on-scene"),
        stat(t("Declined"), D.fmtNumber(counts.declined || 0), "board-declined"),
        stat(t("No response"), D.fmtNumber(counts.no_response || 0), "board-no-response"),
        stat(t("First accept"), D.fmtSeconds(board.time_to_first_accept_s), "board-first-accept"),
      ]),
      actions,
      el("h3", { text: t("Recipients") }),
      board.recipients_total
        ? el("table", { class: "zq-table" }, [
          el("thead", {}, [el("tr", {}, [t("Name"), t("Area"), t("Distance"), t("Wave"), t("State"), t("Accepted at"), t("Read at")].map((h, i) =>
            el("th", { class: i === 2 || i === 3 ? "zq-num" : null, text: h })))]),
          el("tbody", {}, rows),
        ])
        : el("p", { class: "zq-muted", text: t("Nobody was within reach. Widen the radius or escalate.") }),
    ]);
    // Live updates redraw the board often: a cancel reason being typed keeps its text, focus and caret.
    zq.redraw(detail, () => detail.replaceChildren(card));
  }

  /* The counts an alert.board event carries, shown at once (the table follows with the refetch). */
  function applyCounts(event) {
    const card = detail.querySelector("[data-testid=alert-board]");
    if (!card || String(card.dataset.alertId) !== String(event.alert_id)) return;
    const n = card.querySelector("[data-testid=board-accepted]");
    if (n && event.responses) n.textContent = D.fmtNumber(accepted(event.responses));
    const read = card.querySelector("[data-testid=board-read]");
    if (read && typeof event.read === "number") read.textContent = D.fmtNumber(event.read);
    card.dataset.status = event.status;
  }

  /* One escalate or cancel at a time per alert: a double click must not widen the radius twice. */
  async function act(id, path, body, done) {
    if (acting.has(id)) return;
    acting.add(id);
    detail.querySelectorAll("[data-testid=alert-escalate], [data-testid=alert-cancel]").forEach((b) => { b.disabled = true; });
    try {
      await zq.api("POST", "alerts/" + id + "/" + path, body);
      D.toast(done);
    } catch (err) {
      D.toast(D.errorText(err), "error");
    } finally {
      acting.delete(id);
    }
    refresh();
  }

  function escalate(id) {
    return act(id, "escalate", undefined, t("Escalated: the next wave and the level above are told."));
  }

  function cancel(id) {
    // One click would stand down everyone it reached: ask first, as cancelling a session does.
    if (!window.confirm(t("Cancel this alert? Everyone it reached is told to stand down."))) return undefined;
    const reason = detail.querySelector("[data-testid=alert-cancel-reason]");
    return act(id, "cancel", { reason: reason ? reason.value : "" }, t("The alert was cancelled; everyone it reached is told."));
  }

  function refresh() {
    if (!visible) return;
    loadList();
    if (selected) loadBoard(selected);
  }
  const refreshBoard = D.throttle(() => { if (visible && selected) loadBoard(selected); }, 500);
  const refreshList = D.throttle(() => { if (visible) loadList(); }, 2000);

  D.on("alert.board", (event) => {
    applyCounts(event);
    if (String(event.alert_id) === String(selected)) refreshBoard();
    refreshList();
  });
  D.on("alert.escalated", () => refreshList()); // the notice itself is dashboard-notices.js's
  D.on("reconnected", refresh);
  // Deliveries are acknowledged by phones without any board event: refresh an active board now and then.
  setInterval(() => {
    const card = detail.querySelector("[data-testid=alert-board][data-status=active]");
    if (visible && card && !document.hidden) refreshBoard();
  }, 10000);

  D.view("alerts", {
    show(param) {
      visible = true;
      selected = param;
      if (!param) detail.replaceChildren(el("p", { class: "zq-muted", text: t("Choose an alert, or raise one on the map.") }));
      loadList();
      if (param) loadBoard(param);
    },
    hide() { visible = false; },
  });
})();
