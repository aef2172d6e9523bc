/* A session's roll, part of its detail (dashboard-sessions.js draws it in): who is invited and how
 * each attends, marked by hand by the hosts (the video room's roll call), and the leave requests,
 * approved or rejected by whoever the API lets see them (the hosts, and the coordinators over the
 * requester). The detail reads the leave requests with the rest of the session; the invitees are
 * read here, a page at a time.
 */
(function () {
  "use strict";
  const D = zqDash;
  const t = zq.t;
  const el = zq.el;
  const PAGE = 50;
  const ATTENDANCE = { invited: "Not yet", present: "Present", late: "Late", absent: "Absent", excused: "Excused" };
  const MARKS = { present: "Mark present", late: "Mark late", excused: "Mark excused", absent: "Mark absent" };
  const LEAVE = { pending: "Waiting for a decision", approved: "Approved", rejected: "Rejected" };
  let shownFor = null; // the session whose roll is drawn; the filter, the page and the last read are its
  let status = "";
  let offset = 0;
  let page = null;
  let reads = 0; // the newest read of the invitees: an older answer that lands later is dropped
  let options = { canMark: false, reload: () => null };
  const marking = new Set(); // "<session>:<person>" marks on their way: the row's buttons stay off through redraws
  const deciding = new Set(); // "<session>:<leave>" decisions on their way: likewise

  const box = (id) => document.querySelector(`[data-testid=attendee-list][data-session-id="${id}"]`);

  /* The roll's section for `session`: the invitees as last read (a redraw of the detail keeps them on
     screen), read again at once; and `leaves`, the session's leave requests the detail just read.
     `opts.canMark`: the viewer hosts the session, or coordinates a room below it (the API takes their
     hand marks for their own people, the only ones its roll lists for them);
     `opts.reload()`: read the detail again (after a decision). */
  function section(session, leaves, opts) {
    const id = String(session.id);
    if (shownFor !== id) { shownFor = id; status = ""; offset = 0; page = null; }
    options = opts;
    const list = el("div", { "data-testid": "attendee-list", "data-session-id": id });
    draw(list, id);
    const filter = el("select", { "data-testid": "attendee-filter", "aria-label": t("Show"),
      onchange: (ev) => { status = ev.target.value; offset = 0; load(id); } },
    [el("option", { value: "", text: t("Everyone") }),
      ...Object.entries(ATTENDANCE).map(([v, l]) => el("option", { value: v, text: t(l) }))]);
    filter.value = status;
    setTimeout(() => load(id), 0); // once the section is on the page
    return el("section", { class: "zq-card", "data-testid": "session-roll" }, [
      el("h2", { text: t("Invitees") }),
      el("div", { class: "zq-actions" }, [filter]),
      list,
      el("h3", { text: t("Leave requests") }),
      leaveTable(id, leaves),
    ]);
  }

  async function load(id) {
    const read = ++reads;
    const params = new URLSearchParams({ limit: String(PAGE), offset: String(offset) });
    if (status) params.set("status", status);
    let data;
    try { data = await zq.api("GET", `sessions/${id}/attendees?${params}`); } catch (err) {
      if (read === reads && box(id)) D.toast(D.errorText(err), "error"); // what is shown stays
      return;
    }
    if (read !== reads || shownFor !== String(id)) return;
    if (!data.items.length && offset > 0) { offset = Math.max(0, offset - PAGE); load(id); return; } // the last page emptied
    page = data;
    const list = box(id);
    if (list) zq.redraw(list, () => draw(list, id));
  }

  function draw(list, id) {
    if (!page) { list.replaceChildren(el("p", { class: "zq-muted", text: t("Loading…") })); return; }
    if (!page.items.length) { list.replaceChildren(el("p", { class: "zq-muted", text: t("Nobody here.") })); return; }
    const rows = page.items.map((a) => {
      const busy = marking.has(id + ":" + a.person_id);
      const marks = options.canMark
        ? Object.entries(MARKS).filter(([to]) => to !== a.status).map(([to, label]) =>
          el("button", { type: "button", "data-testid": "mark-" + to, disabled: busy, onclick: () => mark(id, a.person_id, to), text: t(label) }))
        : [];
      return el("tr", { "data-person-id": a.person_id, "data-status": a.status, "data-key": "person-" + a.person_id }, [
        el("td", { text: a.name }),
        el("td", { text: D.areaName(a.area_code) }),
        el("td", {}, [el("span", { class: "zq-state", "data-state": a.status === "present" || a.status === "late" ? "accepted" : a.status === "absent" ? "declined" : "",
          text: t(ATTENDANCE[a.status] || a.status) })]),
        el("td", { text: a.checked_in_at ? D.fmtTime(a.checked_in_at) : "" }),
        options.canMark ? el("td", {}, [el("div", { class: "zq-actions" }, marks)]) : null,
      ].filter(Boolean));
    });
    const heads = [t("Name"), t("Area"), t("Attendance"), t("Checked in at")].concat(options.canMark ? [t("Mark")] : []);
    list.replaceChildren(
      el("table", { class: "zq-table", "data-testid": "attendee-table" }, [
        el("thead", {}, [el("tr", {}, heads.map((h) => el("th", { text: h })))]),
        el("tbody", {}, rows),
      ]),
      el("div", { class: "zq-actions" }, [
        el("span", { class: "zq-muted", "data-testid": "attendee-count", text: zq.interpolate(t("%(from)s–%(to)s of %(count)s"),
          { from: offset + 1, to: offset + page.items.length, count: D.fmtNumber(page.count) }) }),
        el("button", { type: "button", "data-testid": "attendee-previous", disabled: offset === 0, onclick: () => { offset = Math.max(0, offset - PAGE); load(id); }, text: t("Previous") }),
        el("button", { type: "button", "data-testid": "attendee-next", disabled: offset + PAGE >= page.count, onclick: () => { offset += PAGE; load(id); }, text: t("Next") }),
      ]),
    );
  }

  /* One mark per person at a time: a second click while the first is on its way does nothing. */
  async function mark(id, personId, to) {
    const key = id + ":" + personId;
    if (marking.has(key)) return;
    marking.add(key);
    const list = box(id);
    if (list) list.querySelectorAll(`tr[data-person-id="${personId}"] button`).forEach((b) => { b.disabled = true; });
    try {
      await zq.api("PUT", `sessions/${id}/attendance/${personId}`, { status: to });
    } catch (err) {
      D.toast(D.errorText(err), "error");
    } finally {
      marking.delete(key);
    }
    if (box(id)) load(id);
  }

  function leaveTable(id, leaves) {
    if (!leaves.length) return el("p", { class: "zq-muted", "data-testid": "leave-none", text: t("No leave requests.") });
    return el("table", { class: "zq-table", "data-testid": "leave-table" }, [
      el("thead", {}, [el("tr", {}, [t("Name"), t("Area"), t("Reason"), t("Decision"), ""].map((h) => el("th", { text: h })))]),
      el("tbody", {}, leaves.map((x) => {
        const busy = deciding.has(id + ":" + x.id);
        return el("tr", { "data-leave-id": x.id, "data-person-id": x.person_id, "data-status": x.status, "data-key": "leave-" + x.id }, [
          el("td", { text: x.name }),
          el("td", { text: D.areaName(x.area_code) }),
          el("td", { text: x.reason }),
          el("td", {}, [el("span", { class: "zq-state", "data-state": x.status === "approved" ? "accepted" : x.status === "rejected" ? "declined" : "",
            text: t(LEAVE[x.status] || x.status) })]),
          el("td", {}, x.status === "pending" ? [el("div", { class: "zq-actions" }, [
            el("button", { type: "button", class: "zq-primary", "data-testid": "leave-approve", disabled: busy, onclick: () => decide(id, x.id, true), text: t("Approve") }),
            el("button", { type: "button", "data-testid": "leave-reject", disabled: busy, onclick: () => decide(id, x.id, false), text: t("Reject") }),
          ])] : []),
        ]);
      })),
    ]);
  }

  /* One decision per request at a time; then the detail (the requests, the counts) and the invitees are read again. */
  async function decide(id, leaveId, approve) {
    const key = id + ":" + leaveId;
    if (deciding.has(key)) return;
    deciding.add(key);
    document.querySelectorAll(`[data-testid=leave-table] tr[data-leave-id="${leaveId}"] button`).forEach((b) => { b.disabled = true; });
    try {
      await zq.api("POST", `sessions/${id}/leave/${leaveId}/decision`, { approve: approve });
    } catch (err) {
      D.toast(D.errorText(err), "error");
    } finally {
      deciding.delete(key);
    }
    options.reload();
  }

  /* The invitees again (a check-in or a mark changed someone), if this session's roll is on screen. */
  function refresh(id) { if (shownFor === String(id) && box(id)) load(id); }

  D.sessionRoll = { section: section, refresh: refresh };
})();
