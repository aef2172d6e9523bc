/* Trainings and meetings: the form that schedules one (dashboard-sessions.js opens it at #sessions/new).
 *
 * The audience is what the API's training.selectors.audience picks: everyone homed under the host level who
 * lives in one of the chosen areas, OR is in one of the chosen teams, OR is a liaison of one of the chosen
 * sectors (nothing chosen: everyone under the host level); chosen roles then narrow that down (AND). The form
 * says so in words as the choices change. Teams are those of the host level (GET teams?area=HOST), the only
 * ones the API takes; sectors are liaisons/sectors. A session hosted at the city or a county is passed down one
 * level, and the units below confirm their receipt by the receipt deadline (empty: the API's default).
 *
 * zqDash.sessionForm.open(box, {kinds, modes})   draws the form into `box`
 */
(function () {
  "use strict";
  const D = zqDash;
  const t = zq.t;
  const el = zq.el;
  const ROLES = ["volunteer", "liaison", "township_coordinator", "station_head"];
  const TEAMS = 200; // the API's largest page; a city has about 100 teams
  const chinese = (document.documentElement.lang || "zh").startsWith("zh");
  let sectorsLoaded = null;
  let teamReads = 0; // the newest team list asked for: one for a host level since changed is dropped

  function loadSectors() {
    if (!sectorsLoaded) {
      sectorsLoaded = zq.api("GET", "liaisons/sectors?limit=100").then((page) => page.items)
        .catch((err) => { sectorsLoaded = null; throw err; });
    }
    return sectorsLoaded;
  }
  const sectorName = (s) => (chinese ? s.name_zh : s.name_en);

  // Relays go one level down from the city and from a county (6-digit codes); a township passes nothing on.
  const relays = (hostCode) => !!hostCode && hostCode.length <= 6;

  /* Fill `select` with the teams of the host level, keeping those still chosen; `hint` says how many. */
  async function loadTeams(select, hint, hostCode) {
    const read = ++teamReads;
    const chosen = new Set(Array.from(select.selectedOptions).map((o) => o.value));
    let data;
    try {
      data = await zq.api("GET", "teams?" + new URLSearchParams({ area: hostCode, limit: String(TEAMS) }));
    } catch (err) {
      if (read === teamReads) D.toast(D.errorText(err), "error");
      return;
    }
    if (read !== teamReads || !select.isConnected) return;
    select.replaceChildren(...data.items.map((team) => el("option", { value: team.id, selected: chosen.has(String(team.id)),
      "data-label": team.name, text: team.name + " · " + team.area_name })));
    hint.textContent = data.count > data.items.length
      ? zq.interpolate(t("The first %(n)s of %(count)s teams."), { n: D.fmtNumber(data.items.length), count: D.fmtNumber(data.count) })
      : !data.count ? t("No teams at this level.") : "";
    hint.hidden = !hint.textContent;
    select.dispatchEvent(new Event("change", { bubbles: true })); // the audience's words follow
  }

  /* The audience in words, as the API will pick it. */
  function describe(form) {
    const host = form.elements.host_area_code.selectedOptions[0];
    const names = (name) => Array.from(form.elements[name].selectedOptions).map((o) => o.dataset.label || o.textContent.trim());
    const checked = (name) => Array.from(form.querySelectorAll(`input[name=${name}]:checked`)).map((i) => i.dataset.label || i.value);
    const any = [...names("area_codes"), ...names("team_ids"), ...checked("sectors")].join("、");
    const roles = checked("roles").join("、");
    const args = { host: host ? host.textContent : "", any: any, roles: roles };
    if (any && roles) return zq.interpolate(t("Invited: everyone in %(host)s who matches any of: %(any)s; and of them only those holding one of the roles: %(roles)s."), args);
    if (any) return zq.interpolate(t("Invited: everyone in %(host)s who matches any of: %(any)s."), args);
    if (roles) return zq.interpolate(t("Invited: everyone in %(host)s holding one of the roles: %(roles)s."), args);
    return zq.interpolate(t("Invited: everyone in %(host)s."), args);
  }

  async function open(box, labels) {
    const field = D.forms.field;
    const start = new Date(Date.now() + 10 * 60000);
    start.setSeconds(0, 0);
    const end = new Date(start.getTime() + 2 * 3600000);
    let areas = [];
    let sectors = [];
    const [gotAreas, gotSectors] = await Promise.allSettled([D.loadAreas(), loadSectors()]);
    if (gotAreas.status === "fulfilled") areas = gotAreas.value; else D.toast(D.errorText(gotAreas.reason), "error");
    if (gotSectors.status === "fulfilled") sectors = gotSectors.value; else D.toast(D.errorText(gotSectors.reason), "error");
    const hosts = D.config.grants.filter((g) => g.role !== "station_head");
    const option = ([v, l]) => el("option", { value: v, text: t(l) });
    const host = el("select", { name: "host_area_code" }, hosts.map((g) => el("option", { value: g.area_code, text: g.area_name })));
    const teams = el("select", { name: "team_ids", multiple: true, "data-testid": "session-teams" });
    const teamHint = el("small", { class: "zq-muted", "data-testid": "session-teams-hint", hidden: true });
    const teamField = field(t("Teams"), teams);
    teamField.append(teamHint);
    const checks = (name, testid, legend, items) => el("fieldset", { class: "zq-checks", "data-name": name, "data-testid": testid }, [
      el("legend", { text: legend }),
      ...items.map(([value, label]) => el("label", {}, [el("input", { type: "checkbox", name: name, value: value, "data-label": label }), label])),
    ]);
    const deadline = field(t("Receipt deadline for the units below"),
      el("input", { name: "relay_deadline", type: "datetime-local", "data-testid": "session-relay-deadline" }),
      t("Each unit below confirms by then that it passed the session on. Empty: set before the start automatically."));
    const summary = el("p", { class: "zq-muted", "aria-live": "polite", "data-testid": "session-audience" });
    const form = el("form", { class: "zq-card zq-form", "data-testid": "session-form" }, [
      el("h2", { text: t("Schedule a training or meeting") }),
      el("div", { class: "zq-row" }, [
        field(t("Kind"), el("select", { name: "kind" }, Object.entries(labels.kinds).map(option))),
        field(t("Mode"), el("select", { name: "mode" }, Object.entries(labels.modes).map(option))),
        field(t("Host"), host),
      ]),
      field(t("Title"), el("input", { name: "title", required: true, maxlength: "120" })),
      field(t("Agenda"), el("textarea", { name: "agenda", rows: "2", maxlength: "4000" })),
      el("div", { class: "zq-row" }, [
        field(t("Start"), el("input", { name: "start", type: "datetime-local", required: true, value: D.isoToLocalInput(start) })),
        field(t("End"), el("input", { name: "end", type: "datetime-local", required: true, value: D.isoToLocalInput(end) })),
      ]),
      deadline,
      el("h3", { text: t("Audience") }),
      el("p", { class: "zq-muted", text: t("Anyone who matches any one of the areas, teams and sectors chosen is invited; with none chosen, everyone at the host level. Roles, if chosen, narrow that down.") }),
      el("div", { class: "zq-row" }, [
        field(t("Areas"), el("select", { name: "area_codes", multiple: true, "data-testid": "session-areas" }, areas.map((a) =>
          el("option", { value: a.code, "data-label": a.name, text: (a.level === "township" ? "\u3000" : "") + a.name })))),
        teamField,
      ]),
      checks("sectors", "session-sectors", t("Sectors (their liaisons)"), sectors.map((s) => [s.code, sectorName(s)])),
      checks("roles", "session-roles", t("Only these roles (none chosen: all)"), ROLES.map((r) => [r, D.config.roles[r] || r])),
      summary,
      el("p", { class: "zq-error", role: "alert", "data-testid": "session-error", hidden: true }),
      el("div", { class: "zq-actions" }, [el("button", { type: "submit", class: "zq-primary", "data-testid": "session-create", text: t("Schedule") })]),
    ]);
    const hostChanged = () => {
      deadline.hidden = !relays(host.value);
      loadTeams(teams, teamHint, host.value);
    };
    host.addEventListener("change", hostChanged);
    form.addEventListener("change", () => { summary.textContent = describe(form); });
    form.addEventListener("submit", (e) => { e.preventDefault(); create(form); });
    summary.textContent = describe(form);
    box.replaceChildren(form);
    hostChanged();
  }

  async function create(form) {
    const F = form.elements;
    const checked = (name) => Array.from(form.querySelectorAll(`input[name=${name}]:checked`)).map((i) => i.value);
    const body = {
      kind: F.kind.value,
      mode: F.mode.value,
      title: F.title.value.trim(),
      agenda: F.agenda.value,
      start: D.localInputToIso(F.start.value),
      end: D.localInputToIso(F.end.value),
      host_area_code: F.host_area_code.value || null,
      area_codes: Array.from(F.area_codes.selectedOptions).map((o) => o.value),
      team_ids: Array.from(F.team_ids.selectedOptions).map((o) => Number(o.value)),
      sectors: checked("sectors"),
      roles: checked("roles"),
      relay_deadline: relays(F.host_area_code.value) ? D.localInputToIso(F.relay_deadline.value) : null,
    };
    const session = await D.forms.submit({ key: "session-create", form: form, box: form.querySelector("[data-testid=session-error]"),
      button: () => form.querySelector("[data-testid=session-create]") }, () => zq.api("POST", "sessions", body));
    if (!session) return;
    D.toast(zq.interpolate(t("Scheduled; %(n)s people invited."), { n: D.fmtNumber(session.invitees) }));
    D.go("#sessions/" + session.id);
  }

  D.sessionForm = { open: open };
})();
