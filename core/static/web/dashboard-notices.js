/* Notices: the durable events of the viewer's own stream that ask a person at the desk to act —
 * an alert escalated to them, a session passed down to them, units below that missed a receipt deadline.
 *
 * One that arrives live raises a toast. One that arrived while no dashboard of this browser was open
 * comes in the socket's replay (docs/PROTOCOL.md: everything after the last seq this browser saw), and
 * the replay ends in a single toast with the count instead of one per notice. Either way it is listed
 * under the header's Notices button, newest first, unread until opened or marked read. The list is kept
 * in this browser (localStorage, per user, the latest KEEP), like the socket's own last seq.
 */
(function () {
  "use strict";
  const D = zqDash;
  const t = zq.t;
  const el = zq.el;
  const KEY = "zq.notices." + D.config.username;
  const KEEP = 50;

  const KINDS = {
    "alert.escalated": {
      urgent: true,
      text: (e) => zq.interpolate(t("Escalated to you: %(title)s (%(accepted)s of %(needed)s accepted)"), e),
      href: (e) => "#alerts/" + e.alert_id,
    },
    "session.relayed": {
      urgent: false,
      text: (e) => zq.interpolate(t("A session was passed down to you: %(title)s"), { title: e.session.title }),
      href: (e) => "#sessions/" + e.session.id,
    },
    "session.relay_overdue": {
      urgent: true,
      text: (e) => zq.interpolate(t("No receipt in time from %(units)s: %(title)s"),
        { units: e.area_codes.map(D.areaName).join(t(", ")), title: e.session.title }),
      href: (e) => "#sessions/" + e.session.id,
    },
  };

  const button = document.querySelector("[data-testid=notices-button]");
  const badge = document.querySelector("[data-testid=notices-count]");
  const panel = document.querySelector("[data-testid=notices]");
  const list = panel.querySelector("[data-testid=notice-list]");

  /* [{key, event, missed, unread, received}], newest first. */
  function load() {
    try {
      const kept = JSON.parse(localStorage.getItem(KEY) || "[]");
      return Array.isArray(kept) ? kept.filter((n) => n && n.event && KINDS[n.event.type]) : [];
    } catch (err) {
      return [];
    }
  }
  let notices = load();
  function save() {
    notices = notices.slice(0, KEEP);
    try { localStorage.setItem(KEY, JSON.stringify(notices)); } catch (err) { /* storage full or off: the list lives until reload */ }
  }
  // Another tab of the same user read or received notices: follow it.
  window.addEventListener("storage", (e) => { if (e.key === KEY) { notices = load(); draw(); } });

  function unread() { return notices.filter((n) => n.unread).length; }

  function draw() {
    const count = unread();
    badge.textContent = D.fmtNumber(count);
    badge.hidden = count === 0;
    button.dataset.unread = String(count);
    button.setAttribute("aria-label", zq.interpolate(t("Notices (%(n)s unread)"), { n: count }));
    if (panel.hidden) return;
    list.replaceChildren(...(notices.length ? notices.map(item) : [el("li", { class: "zq-muted", text: t("No notices.") })]));
  }

  function item(notice) {
    const kind = KINDS[notice.event.type];
    const when = D.fmtTime(notice.event.at || notice.received);
    return el("li", { "data-testid": "notice", "data-type": notice.event.type, "data-unread": notice.unread ? "true" : "false", "data-key": notice.key }, [
      el("a", { href: kind.href(notice.event), text: kind.text(notice.event), onclick: () => { markRead(notice.key); close(); } }),
      el("small", { class: "zq-muted", text: notice.missed ? when + " · " + t("arrived while you were away") : when }),
    ]);
  }

  function markRead(key) {
    notices.forEach((n) => { if (key === undefined || n.key === key) n.unread = false; });
    save();
    draw();
  }

  function open() {
    panel.hidden = false;
    button.setAttribute("aria-expanded", "true");
    draw();
    // Unit names in overdue notices come from the area list; draw again once it is here.
    D.loadAreas().then(draw, () => {});
  }
  function close() {
    panel.hidden = true;
    button.setAttribute("aria-expanded", "false");
  }
  button.addEventListener("click", () => { if (panel.hidden) open(); else close(); });
  panel.querySelector("[data-testid=notices-read]").addEventListener("click", () => markRead());
  document.addEventListener("keydown", (e) => { if (e.key === "Escape" && !panel.hidden) { close(); button.focus(); } });
  document.addEventListener("click", (e) => { if (!panel.hidden && !panel.contains(e.target) && !button.contains(e.target)) close(); });

  let missedNow = 0;
  const summarise = D.debounce(() => {
    if (missedNow) D.toast(zq.interpolate(t("Notices that arrived while you were away: %(n)s"), { n: missedNow }), "error");
    missedNow = 0;
  }, 400);

  D.on("durable", ({ event, seq, live }) => {
    const kind = KINDS[event.type];
    if (!kind) return;
    // The seq alone is not a key: a stream restarted on the server (a restored database) numbers from 1 again.
    const key = seq + "|" + (event.at || "");
    if (notices.some((n) => n.key === key)) return;
    notices.unshift({ key: key, event: event, missed: !live, unread: true, received: new Date().toISOString() });
    save();
    draw();
    if (live) D.toast(kind.text(event), kind.urgent ? "error" : "info");
    else { missedNow += 1; summarise(); }
  });

  draw();
})();
