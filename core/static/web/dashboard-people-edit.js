/* People, the writes: register a member, change a person, grant a role (dashboard-people.js draws the
 * search and the detail, and puts these forms into it). Only what the API would take is offered: the
 * areas where the user manages people (config.manage_units) and the roles their grants may give there
 * (config.grantable, the API's GRANTABLE); the API checks everything again and its refusals show inline.
 *
 * What they share with the other write forms (where the user manages people, fields, one request at a time,
 * refusals shown next to their fields) is zqDash.forms (dashboard-forms.js).
 *
 * zqDash.peopleEdit.newForm({onCreated, onCancel}) the "New member" form
 * zqDash.peopleEdit.editForm(person, {onSaved, onCancel})
 * zqDash.peopleEdit.grantForm(person, {onGranted}) null when there is nothing the user may grant this person
 * zqDash.peopleEdit.liaisonForm(person, {onMade})  "Make a liaison" (sector, employer); null when not for this user
 * zqDash.peopleEdit.rolesList(person, {onChanged}) their roles, with "Take away" and, for a liaison, "No longer a liaison"
 *
 * A liaison is registered with their sector (POST liaisons): the API refuses the bare liaison role
 * (liaison_needs_sector), so the New member form sends a liaison there and the grant form does not offer it.
 * Likewise the liaison role is not taken away alone (role_managed_elsewhere): "No longer a liaison" ends the
 * liaison (DELETE liaisons/ID: profile and role), and the person stays.
 */
(function () {
  "use strict";
  const D = zqDash;
  const t = zq.t;
  const el = zq.el;
  const { field, areaOptions, manageAreas, manages, busy, submit } = D.forms;
  const manageUnits = D.config.manage_units || [];
  const grantable = D.config.grantable || [];
  const MEMBER_ROLES = ["volunteer", "liaison"];
  const teamReads = new WeakMap(); // per team picker: a list asked for an area no longer chosen is dropped
  const employerReads = new WeakMap(); // likewise per employer picker, for a sector or area no longer chosen
  const chinese = (document.documentElement.lang || "zh").startsWith("zh");
  let sectorsRead = null; // the sectors, read once per page

  /* The roles the user's grants may give over `code`, in the config's order of roles. */
  function rolesGrantableAt(code) {
    const found = new Set();
    grantable.forEach((g) => { if (code && code.startsWith(g.area_prefix)) g.roles.forEach((r) => found.add(r)); });
    return Object.keys(D.config.roles).filter((r) => found.has(r));
  }
  const masked = (value) => !value || value.includes("*");

  // An error's details name fields by the API's names; the forms use the same names, but for the grant area.
  const ALIASES = { area_code: ["home_area_code", "area_code"], team_id: ["team_id"], leader_id: [] };

  /* Fill `select` with the teams of `areaCode` (a read that an area chosen later overtakes is dropped). */
  async function loadTeams(select, areaCode, selectedId) {
    const read = (teamReads.get(select) || 0) + 1;
    teamReads.set(select, read);
    const none = el("option", { value: "", text: t("No team") });
    if (!areaCode) { select.replaceChildren(none); return; }
    let data;
    try { data = await zq.api("GET", "teams?" + new URLSearchParams({ area: areaCode, limit: "200" })); } catch (err) {
      if (read === teamReads.get(select)) D.toast(D.errorText(err), "error");
      return;
    }
    if (read !== teamReads.get(select)) return;
    select.replaceChildren(none, ...data.items.map((team) => el("option", { value: team.id, selected: team.id === selectedId, text: team.name + " · " + team.area_name })));
  }

  /* ---- A liaison's sector and employer ---- */
  function loadSectors() {
    if (!sectorsRead) {
      sectorsRead = zq.api("GET", "liaisons/sectors?limit=100").then((page) => page.items, (err) => { sectorsRead = null; throw err; });
    }
    return sectorsRead;
  }

  /* The sector (required) and employer (optional: the sector's employers in the home county that the user
   * sees) pickers, named as POST liaisons names them. `homeCode()` is where the person lives. */
  function liaisonFields(homeCode) {
    const sector = el("select", { name: "sector", required: true, "data-testid": "liaison-sector" }, [el("option", { value: "", text: t("Choose…") })]);
    const employer = el("select", { name: "employer_id", "data-testid": "liaison-employer" }, [el("option", { value: "", text: t("No employer") })]);
    loadSectors().then((items) => sector.append(...items.map((s) => el("option", { value: s.code, text: chinese ? s.name_zh : s.name_en }))),
      (err) => D.toast(D.errorText(err), "error"));
    async function loadEmployers() {
      const read = (employerReads.get(employer) || 0) + 1;
      employerReads.set(employer, read);
      const none = el("option", { value: "", text: t("No employer") });
      const code = homeCode();
      if (!sector.value || !code) { employer.replaceChildren(none); return; }
      let data;
      try {
        data = await zq.api("GET", "liaisons/employers?" + new URLSearchParams({ sector: sector.value, area: code.slice(0, 6), limit: "200" }));
      } catch (err) {
        if (read === employerReads.get(employer)) D.toast(D.errorText(err), "error");
        return;
      }
      if (read !== employerReads.get(employer)) return;
      employer.replaceChildren(none, ...data.items.map((e) => el("option", { value: e.id, text: e.name + " · " + e.area_name })));
    }
    sector.addEventListener("change", loadEmployers);
    const box = el("div", { class: "zq-row", "data-testid": "liaison-fields" }, [field(t("Sector"), sector), field(t("Employer (optional)"), employer)]);
    return {
      box: box,
      reload: loadEmployers,
      // Off (hidden and not sent, nor required) while the person is not to be a liaison.
      enable(on) { box.hidden = !on; sector.disabled = !on; employer.disabled = !on; },
      body() { return employer.value ? { sector: sector.value, employer_id: Number(employer.value) } : { sector: sector.value }; },
    };
  }

  /* ---- New member ---- */
  async function newForm(opts) {
    const areas = await manageAreas();
    const roleBoxes = MEMBER_ROLES.map((r) => el("label", {}, [
      el("input", { type: "checkbox", name: "roles", value: r, "data-testid": "person-role-" + r, checked: r === "volunteer" }), D.config.roles[r] || r]));
    const team = el("select", { name: "team_id", "data-testid": "person-team" }, [el("option", { value: "", text: t("No team") })]);
    const teamLabel = field(t("Team"), team);
    let F = null;
    const liaison = liaisonFields(() => F && F.home_area_code.value);
    const form = el("form", { class: "zq-card zq-form", "data-testid": "person-new-form" }, [
      el("h2", { text: t("New member") }),
      el("div", { class: "zq-row" }, [
        field(t("Name"), el("input", { name: "name", required: true, maxlength: "64", autocomplete: "off", "data-testid": "person-name" })),
        field(t("Mobile number"), el("input", { name: "phone", type: "tel", required: true, maxlength: "32", autocomplete: "off", "data-testid": "person-phone" })),
      ]),
      el("div", { class: "zq-row" }, [
        field(t("Home area"), el("select", { name: "home_area_code", required: true, "data-testid": "person-area" },
          [el("option", { value: "", text: t("Choose…") }), ...areaOptions(areas, null)])),
        field(t("ID number (optional)"), el("input", { name: "id_number", maxlength: "32", autocomplete: "off", "data-testid": "person-id-number" })),
      ]),
      el("fieldset", { class: "zq-checks" }, [el("legend", { text: t("Roles") }), ...roleBoxes]),
      liaison.box,
      teamLabel,
      el("p", { class: "zq-muted", text: t("The login name is the mobile number. Many liaisons at once: use the liaison import.") }),
      el("p", { class: "zq-error", role: "alert", "data-testid": "person-form-error", hidden: true }),
      el("div", { class: "zq-actions" }, [
        el("button", { type: "submit", class: "zq-primary", "data-testid": "person-create", disabled: busy("create"), text: t("Register") }),
        el("button", { type: "button", "data-testid": "person-new-cancel", onclick: () => opts.onCancel && opts.onCancel(), text: t("Cancel") }),
      ]),
    ]);
    F = form.elements;
    // Only the member roles the user may give in the chosen area can be ticked; a team only for a volunteer,
    // a sector and employer only for a liaison.
    function sync() {
      const allowed = rolesGrantableAt(F.home_area_code.value || (manageUnits[0] && manageUnits[0].area_code));
      form.querySelectorAll("input[name=roles]").forEach((box) => {
        box.disabled = !allowed.includes(box.value);
        if (box.disabled) box.checked = false;
      });
      teamLabel.hidden = !form.querySelector("input[name=roles][value=volunteer]").checked;
      liaison.enable(form.querySelector("input[name=roles][value=liaison]").checked);
    }
    F.home_area_code.addEventListener("change", () => { sync(); loadTeams(team, F.home_area_code.value, null); liaison.reload(); });
    form.addEventListener("change", (e) => { if (e.target.name === "roles") sync(); });
    sync();
    form.addEventListener("submit", (e) => { e.preventDefault(); create(form, liaison, opts); });
    return form;
  }

  async function create(form, liaison, opts) {
    const F = form.elements;
    const error = form.querySelector("[data-testid=person-form-error]");
    const roles = Array.from(form.querySelectorAll("input[name=roles]:checked")).map((i) => i.value);
    const body = { name: F.name.value.trim(), phone: F.phone.value.trim(), home_area_code: F.home_area_code.value, roles: roles };
    if (F.id_number.value.trim()) body.id_number = F.id_number.value.trim();
    if (roles.includes("volunteer") && F.team_id.value) body.team_id = Number(F.team_id.value);
    const button = form.querySelector("[data-testid=person-create]");
    // A liaison is registered with their sector in one call (the person and the profile, all or nothing).
    const request = roles.includes("liaison")
      ? () => zq.api("POST", "liaisons", { person: { ...body, roles: roles.filter((r) => r !== "liaison") }, ...liaison.body() })
        .then((made) => ({ id: made.person_id, name: made.name }))
      : () => zq.api("POST", "people", body);
    const person = await submit({ key: "create", form: form, box: error, button: button, aliases: ALIASES }, request);
    if (!person) return;
    D.toast(zq.interpolate(t("%(name)s is registered."), { name: person.name }));
    if (opts.onCreated) opts.onCreated(person);
  }

  /* ---- Edit ---- */
  async function editForm(p, opts) {
    const areas = await manageAreas();
    const phoneMasked = masked(p.phone); // only a phone the API gave unmasked is put into the field
    const team = el("select", { name: "team_id", "data-testid": "person-team" }, [el("option", { value: "", text: t("No team") })]);
    const withTeam = p.team_id !== null || p.roles.some((r) => r.role === "volunteer");
    const form = el("form", { class: "zq-form", "data-testid": "person-edit-form", "data-person-id": p.id }, [
      el("h2", { text: zq.interpolate(t("Edit %(name)s"), { name: p.name }) }),
      el("div", { class: "zq-row" }, [
        field(t("Name"), el("input", { name: "name", required: true, maxlength: "64", value: p.name, autocomplete: "off", "data-testid": "person-name" })),
        field(t("Mobile number"), el("input", { name: "phone", type: "tel", maxlength: "32", autocomplete: "off", "data-testid": "person-phone",
          value: phoneMasked ? null : p.phone, placeholder: phoneMasked ? p.phone : null, required: !phoneMasked }),
        phoneMasked ? t("Hidden from your role: leave empty to keep it, or type a new number.") : null),
      ]),
      el("div", { class: "zq-row" }, [
        field(t("Home area"), el("select", { name: "home_area_code", required: true, "data-testid": "person-area" }, areaOptions(areas, p.area_code))),
        field(t("New ID number"), el("input", { name: "id_number", maxlength: "32", autocomplete: "off", placeholder: p.id_number || "", "data-testid": "person-id-number" }),
          t("Leave empty to keep it.")),
      ]),
      withTeam ? field(t("Team"), team) : null,
      el("label", { class: "zq-check" }, [el("input", { type: "checkbox", name: "is_active", checked: p.is_active, "data-testid": "person-active" }), t("Active (receives alerts and invitations)")]),
      el("p", { class: "zq-error", role: "alert", "data-testid": "person-form-error", hidden: true }),
      el("div", { class: "zq-actions" }, [
        el("button", { type: "submit", class: "zq-primary", "data-testid": "person-save", disabled: busy("edit:" + p.id), text: t("Save") }),
        el("button", { type: "button", "data-testid": "person-edit-cancel", onclick: () => opts.onCancel && opts.onCancel(), text: t("Cancel") }),
      ]),
    ].filter(Boolean));
    if (withTeam) {
      loadTeams(team, p.area_code, p.team_id);
      form.elements.home_area_code.addEventListener("change", () => loadTeams(team, form.elements.home_area_code.value, null));
    }
    form.addEventListener("submit", (e) => { e.preventDefault(); save(form, p, opts); });
    return form;
  }

  async function save(form, p, opts) {
    const key = "edit:" + p.id;
    if (busy(key)) return; // a second click while the first is on its way
    const F = form.elements;
    const error = form.querySelector("[data-testid=person-form-error]");
    const body = {}; // only what changed: a PATCH leaves the rest as it is
    if (F.name.value.trim() !== p.name) body.name = F.name.value.trim();
    const phone = F.phone.value.trim();
    if (phone && phone !== p.phone) body.phone = phone;
    if (F.id_number.value.trim()) body.id_number = F.id_number.value.trim();
    if (F.home_area_code.value !== p.area_code) body.home_area_code = F.home_area_code.value;
    if (F.team_id) {
      const teamId = F.team_id.value ? Number(F.team_id.value) : null;
      if (teamId !== p.team_id) body.team_id = teamId;
    }
    if (F.is_active.checked !== p.is_active) body.is_active = F.is_active.checked;
    if (!Object.keys(body).length) { D.toast(t("Nothing was changed.")); if (opts.onCancel) opts.onCancel(); return; }
    const button = form.querySelector("[data-testid=person-save]");
    const saved = await submit({ key: key, form: form, box: error, button: button, aliases: ALIASES }, () => zq.api("PATCH", "people/" + p.id, body));
    if (!saved) return;
    D.toast(t("Saved."));
    if (opts.onSaved) opts.onSaved(saved);
  }

  /* ---- Grant a role ---- */
  function grantForm(p, areas, opts) {
    if (!p.username || !manages(p.area_code)) return null; // no login to grant to, or not the user's to change
    const held = new Set(p.roles.map((r) => r.role + "@" + r.area_code));
    // Not the liaison role: "Make a liaison" gives it with the sector.
    const offered = (code) => rolesGrantableAt(code).filter((r) => r !== "liaison" && !held.has(r + "@" + code));
    const choices = areas.filter((a) => offered(a.code).length);
    const home = offered(p.area_code).length ? p.area_code : (choices[0] && choices[0].code);
    if (!home) return null;
    const area = el("select", { name: "area_code", "data-testid": "grant-area" }, areaOptions(choices, home));
    const role = el("select", { name: "role", "data-testid": "grant-role" });
    const fill = () => role.replaceChildren(...offered(area.value).map((r) => el("option", { value: r, text: D.config.roles[r] || r })));
    area.addEventListener("change", fill);
    fill();
    const key = "grant:" + p.id;
    const form = el("form", { class: "zq-form", "data-testid": "role-grant-form", "data-key": "grant-" + p.id }, [
      el("h3", { text: t("Grant a role") }),
      el("div", { class: "zq-row" }, [field(t("Role"), role), field(t("Over"), area),
        el("button", { type: "submit", class: "zq-primary", "data-testid": "grant-submit", disabled: busy(key), text: t("Grant") })]),
      el("p", { class: "zq-error", role: "alert", "data-testid": "grant-error", hidden: true }),
    ]);
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      if (!role.value) return;
      // Found again at the end: the detail may have been drawn anew (with a new form) meanwhile.
      const button = () => document.querySelector(`[data-key="grant-${p.id}"] [data-testid=grant-submit]`);
      const granted = await submit({ key: key, form: form, box: form.querySelector("[data-testid=grant-error]"), button: button, aliases: ALIASES },
        () => zq.api("POST", "people/" + p.id + "/roles", { role: role.value, area_code: area.value }));
      if (!granted) return;
      D.toast(t("The role is granted."));
      if (opts.onGranted) opts.onGranted(granted);
    });
    return form;
  }

  /* ---- Make a liaison ---- */
  function liaisonForm(p, opts) {
    if (!manages(p.area_code) || p.roles.some((r) => r.role === "liaison") || !rolesGrantableAt(p.area_code).includes("liaison")) return null;
    const fields = liaisonFields(() => p.area_code);
    fields.enable(true);
    const key = "liaison:" + p.id;
    const form = el("form", { class: "zq-form", "data-testid": "liaison-form", "data-key": key }, [
      el("h3", { text: t("Make a liaison") }),
      fields.box,
      el("p", { class: "zq-error", role: "alert", "data-testid": "liaison-error", hidden: true }),
      el("div", { class: "zq-actions" }, [
        el("button", { type: "submit", class: "zq-primary", "data-testid": "liaison-submit", disabled: busy(key), text: t("Make a liaison") }),
      ]),
    ]);
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const button = () => document.querySelector(`[data-key="${key}"] [data-testid=liaison-submit]`);
      const made = await submit({ key: key, form: form, box: form.querySelector("[data-testid=liaison-error]"), button: button, aliases: ALIASES },
        () => zq.api("POST", "liaisons", { person_id: p.id, ...fields.body() }));
      if (!made) return;
      D.toast(zq.interpolate(t("%(name)s is a liaison now."), { name: made.name }));
      let q;
      try { q = await zq.api("GET", "people/" + p.id); } catch (err) { D.toast(D.errorText(err), "error"); return; }
      if (opts.onMade) opts.onMade(q);
    });
    return form;
  }

  /* ---- Take a role away; end a liaison ---- */
  // Given and taken in their own registers (a station's head, the liaison register): the API refuses them here.
  const REVOKED_ELSEWHERE = new Set(["station_head", "liaison"]);

  /* A button that asks first: a first click arms it (`confirm` as its text), a second within 5 s runs `run`,
   * which throws to have the button back as it was (the refusal toasted). */
  function confirmButton(testid, label, confirm, run) {
    const button = el("button", { type: "button", "data-testid": testid, text: label });
    let armed = null;
    const disarm = () => { armed = null; delete button.dataset.armed; button.textContent = label; };
    button.addEventListener("click", async () => {
      if (!armed) {
        button.textContent = confirm;
        button.dataset.armed = "true";
        armed = setTimeout(disarm, 5000);
        return;
      }
      clearTimeout(armed);
      button.disabled = true;
      try { await run(); } catch (err) {
        D.toast(D.errorText(err), "error");
        button.disabled = false;
        disarm();
      }
    });
    return button;
  }

  /* The person's roles, each with "Take away" where the user may grant it there (and it is not their own
   * login's): a first click asks to confirm, a second within 5 s sends DELETE people/ID/roles/ROLE/AREA.
   * A liaison's (first) liaison row has "No longer a liaison" instead, where the user may give that role at
   * their home and there: DELETE liaisons/ID (the liaison's id is the person's) takes profile and role away. */
  function rolesList(p, opts) {
    const own = p.username && p.username === D.config.username;
    const endable = (code) => rolesGrantableAt(p.area_code).includes("liaison") && rolesGrantableAt(code).includes("liaison");
    let endOffered = false;
    const items = p.roles.map((r) => {
      const label = (D.config.roles[r.role] || r.role) + " · " + D.areaName(r.area_code);
      let button = null;
      if (r.role === "liaison" && !endOffered && endable(r.area_code)) {
        endOffered = true;
        button = confirmButton("liaison-end", t("No longer a liaison"), t("Confirm: no longer a liaison"), async () => {
          await zq.api("DELETE", "liaisons/" + p.id);
          D.toast(zq.interpolate(t("%(name)s is no longer a liaison."), { name: p.name }));
          let q;
          try { q = await zq.api("GET", "people/" + p.id); } catch (err) { D.toast(D.errorText(err), "error"); return; }
          if (opts.onChanged) opts.onChanged(q);
        });
      } else if (!own && !REVOKED_ELSEWHERE.has(r.role) && rolesGrantableAt(r.area_code).includes(r.role)) {
        button = confirmButton("role-revoke", t("Take away"), t("Confirm: take away"), async () => {
          const q = await zq.api("DELETE", "people/" + p.id + "/roles/" + encodeURIComponent(r.role) + "/" + encodeURIComponent(r.area_code));
          D.toast(zq.interpolate(t("%(role)s was taken away."), { role: label }));
          if (opts.onChanged) opts.onChanged(q);
        });
      }
      return el("li", { "data-role": r.role, "data-area": r.area_code }, [el("span", { text: label }), button].filter(Boolean));
    });
    if (!items.length) return null;
    return el("div", { "data-testid": "person-roles" }, [el("h3", { text: t("Roles") }), el("ul", { class: "zq-list zq-roles" }, items)]);
  }

  D.peopleEdit = { manages: manages, manageAreas: manageAreas, newForm: newForm, editForm: editForm, grantForm: grantForm,
    liaisonForm: liaisonForm, rolesList: rolesList };
})();
