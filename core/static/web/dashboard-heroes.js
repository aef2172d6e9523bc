/* Heroes: the register of honoured heroes (见义勇为英雄 / 先进个人 / 嘉奖) in the jurisdiction, searchable by
 * name, deed or awarding body, honour and year, with the same filters as a CSV download (GET
 * /api/v1/heroes.csv, audited as an export). Where the user manages people (config.manage_units: the API's
 * MANAGE_PEOPLE, which also writes the register) "New hero" and each of their heroes' "Edit" open the hero
 * form; the API checks everything again and its refusals show next to the fields they name (zqDash.forms).
 * Dates are calendar days in Beijing: the latest a date field takes is today there.
 */
(function () {
  "use strict";
  const D = zqDash;
  const t = zq.t;
  const el = zq.el;
  const section = document.querySelector(".zq-view-heroes");
  if (!section) return; // only roles that view people have the view
  const PAGE = 50;
  const HONOURS = [
    ["hero", "Hero of courageous deeds"],
    ["outstanding", "Outstanding individual in courageous deeds"],
    ["commendation", "Commendation"],
  ];
  const { field, areaOptions, manageAreas, manages, memberPicker, busy, submit } = D.forms;
  const canWrite = !!D.config.can.manage_people;
  let form = null;
  let formBox = null; // the hero form, new or edit, between the search and the results
  let offset = 0;
  let opens = 0; // the newest form asked for: one that an "Edit" clicked later overtakes is not drawn

  function build() {
    const thisYear = Number(zq.cityDay(new Date()).slice(0, 4));
    const years = [];
    for (let y = thisYear; y >= thisYear - 20; y -= 1) years.push(el("option", { value: String(y), text: String(y) }));
    form = el("form", { class: "zq-card zq-search", "data-testid": "heroes-search" }, [
      el("label", {}, [t("Name, deed or awarding body"), el("input", { name: "q", type: "search", maxlength: "64", "data-testid": "heroes-q" })]),
      el("label", {}, [t("Honour"), el("select", { name: "honour", "data-testid": "heroes-honour" }, [el("option", { value: "", text: t("All") }),
        ...HONOURS.map(([v, l]) => el("option", { value: v, text: t(l) }))])]),
      el("label", {}, [t("Year"), el("select", { name: "year", "data-testid": "heroes-year" }, [el("option", { value: "", text: t("All") }), ...years])]),
      el("button", { type: "submit", class: "zq-primary", text: t("Search") }),
      el("div", { class: "zq-actions" }, [
        el("a", { class: "zq-button", "data-testid": "heroes-csv", href: "/api/v1/heroes.csv", download: "", text: t("Heroes CSV") }),
      ]),
    ]);
    form.addEventListener("submit", (e) => { e.preventDefault(); offset = 0; search(); });
    form.addEventListener("change", () => { form.querySelector("[data-testid=heroes-csv]").href = "/api/v1/heroes.csv?" + filters(); });
    if (canWrite) {
      form.querySelector(".zq-actions").append(el("button", { type: "button", "data-testid": "hero-new", onclick: () => openForm(null), text: t("New hero") }));
    }
    formBox = el("div", { "data-testid": "hero-form-box", hidden: true });
    section.replaceChildren(form, formBox, el("div", { class: "zq-card", "data-testid": "heroes-results" }));
  }

  /* ---- the hero form: `h` as the API gave it, or null for a new hero ---- */
  async function openForm(h) {
    const read = ++opens;
    const areas = await manageAreas();
    if (read !== opens) return;
    const card = heroForm(h, areas);
    formBox.replaceChildren(card);
    formBox.hidden = false;
    card.elements.name.focus();
  }
  function close() {
    opens += 1;
    formBox.hidden = true;
    formBox.replaceChildren();
  }

  function heroForm(h, areas) {
    const v = h || {};
    const key = h ? "hero:" + h.id : "hero:new";
    const today = zq.cityDay(new Date());
    const card = el("form", { class: "zq-card zq-form", "data-testid": "hero-form", "data-hero-id": h ? h.id : null }, [
      el("h2", { text: h ? zq.interpolate(t("Edit %(name)s"), { name: h.name }) : t("New hero") }),
      el("div", { class: "zq-row" }, [
        field(t("Name"), el("input", { name: "name", maxlength: "64", autocomplete: "off", value: v.name, "data-testid": "hero-name" })),
        el("div", { class: "zq-field", role: "group", "aria-label": t("Member (optional)") }, [t("Member (optional)"),
          memberPicker({ name: "person_id", value: h ? h.person_id : null, testid: "hero-person", onPick: (p) => picked(card, p) }),
          el("small", { class: "zq-muted", text: t("When the hero is a member, find them by name or phone. Their name is used if no other is given.") })]),
      ]),
      el("div", { class: "zq-row" }, [
        field(t("Area"), el("select", { name: "area_code", required: true, "data-testid": "hero-area" },
          h ? areaOptions(areas, h.area_code) : [el("option", { value: "", text: t("Choose…") }), ...areaOptions(areas, null)])),
        field(t("Honour"), el("select", { name: "honour", required: true, "data-testid": "hero-honour" },
          HONOURS.map(([value, label]) => el("option", { value: value, selected: value === v.honour, text: t(label) })))),
      ]),
      field(t("Deed"), el("textarea", { name: "deed", required: true, rows: "3", maxlength: "4000", "data-testid": "hero-deed", text: v.deed })),
      el("div", { class: "zq-row" }, [
        field(t("Date of the deed"), el("input", { name: "deed_date", type: "date", required: true, max: today, value: v.deed_date, "data-testid": "hero-deed-date" })),
        field(t("Honoured on"), el("input", { name: "honoured_on", type: "date", required: true, max: today, value: v.honoured_on, "data-testid": "hero-honoured-on" })),
      ]),
      field(t("Awarding body"), el("input", { name: "awarding_body", maxlength: "128", autocomplete: "off", value: v.awarding_body, "data-testid": "hero-awarding-body" })),
      el("p", { class: "zq-error", role: "alert", "data-testid": "hero-form-error", hidden: true }),
      el("div", { class: "zq-actions" }, [
        el("button", { type: "submit", class: "zq-primary", "data-testid": "hero-save", disabled: busy(key), text: h ? t("Save") : t("Record") }),
        el("button", { type: "button", "data-testid": "hero-cancel", onclick: close, text: t("Cancel") }),
      ]),
    ]);
    card.addEventListener("submit", (e) => { e.preventDefault(); save(card, h, key); });
    return card;
  }

  /* A member chosen: their name stands in for an empty name, and a new hero takes their area if none is chosen yet. */
  function picked(card, person) {
    const F = card.elements;
    F.name.placeholder = person ? person.name : "";
    if (person && !F.area_code.value && Array.from(F.area_code.options).some((o) => o.value === person.area_code)) {
      F.area_code.value = person.area_code;
    }
  }

  async function save(card, h, key) {
    if (busy(key)) return; // a second click while the first is on its way
    const F = card.elements;
    const values = {
      name: F.name.value.trim(), area_code: F.area_code.value, honour: F.honour.value, deed: F.deed.value.trim(),
      deed_date: F.deed_date.value, honoured_on: F.honoured_on.value, awarding_body: F.awarding_body.value.trim(),
    };
    const personId = F.person_id.value ? Number(F.person_id.value) : null; // the picker's choice
    let body;
    if (h) { // only what changed: a PATCH leaves the rest as it is
      body = {};
      Object.keys(values).forEach((k) => { if (values[k] !== h[k]) body[k] = values[k]; });
      if (personId !== h.person_id) body.person_id = personId; // emptied: the member is unlinked
      if (!Object.keys(body).length) { D.toast(t("Nothing was changed.")); close(); return; }
    } else {
      body = Object.assign({}, values);
      if (!body.name) delete body.name; // a member's own name, or the API's name_required
      if (personId !== null) body.person_id = personId;
    }
    const where = { key: key, form: card, box: card.querySelector("[data-testid=hero-form-error]"), button: card.querySelector("[data-testid=hero-save]") };
    const saved = await submit(where, () => (h ? zq.api("PATCH", "heroes/" + h.id, body) : zq.api("POST", "heroes", body)));
    if (!saved) return;
    D.toast(h ? t("Saved.") : zq.interpolate(t("%(name)s is recorded."), { name: saved.name }));
    if (card.isConnected) close();
    search(); // the list shows the new or changed hero
  }

  function filters() {
    const F = form.elements;
    const params = new URLSearchParams();
    if (F.q.value.trim()) params.set("q", F.q.value.trim());
    if (F.honour.value) params.set("honour", F.honour.value);
    if (F.year.value) params.set("year", F.year.value);
    return params;
  }

  async function search() {
    const params = filters();
    form.querySelector("[data-testid=heroes-csv]").href = "/api/v1/heroes.csv?" + params;
    params.set("limit", String(PAGE));
    params.set("offset", String(offset));
    const box = section.querySelector("[data-testid=heroes-results]");
    const data = await D.readInto(box, "heroes?" + params); // an older search's late answer is dropped
    if (!data) return;
    const rows = data.items.map((h) => el("tr", { "data-hero-id": h.id }, [
      el("td", { text: h.name, "data-field": "name" }),
      el("td", { text: h.honour_label, "data-field": "honour" }),
      el("td", { text: h.area_name, "data-field": "area" }),
      el("td", { text: h.honoured_on, "data-field": "honoured_on" }),
      el("td", { text: h.deed, "data-field": "deed" }),
      el("td", { text: h.deed_date, "data-field": "deed_date" }),
      el("td", { text: h.awarding_body || "–", "data-field": "awarding_body" }),
      canWrite ? el("td", {}, [manages(h.area_code)
        ? el("button", { type: "button", "data-testid": "hero-edit", onclick: () => openForm(h), text: t("Edit") }) : null].filter(Boolean)) : null,
    ].filter(Boolean)));
    const pager = el("div", { class: "zq-actions" }, [
      el("span", { class: "zq-muted", "data-testid": "heroes-count", text: zq.interpolate(t("%(from)s–%(to)s of %(count)s"),
        { from: data.count ? offset + 1 : 0, to: offset + data.items.length, count: D.fmtNumber(data.count) }) }),
      el("button", { type: "button", disabled: offset === 0, onclick: () => { offset = Math.max(0, offset - PAGE); search(); }, text: t("Previous") }),
      el("button", { type: "button", disabled: offset + PAGE >= data.count, onclick: () => { offset += PAGE; search(); }, text: t("Next") }),
    ]);
    box.replaceChildren(
      el("table", { class: "zq-table", "data-testid": "heroes-table" }, [
        el("thead", {}, [el("tr", {}, [t("Name"), t("Honour"), t("Area"), t("Honoured on"), t("Deed"), t("Date of the deed"),
          t("Awarding body"), canWrite ? "" : null].filter((h) => h !== null).map((h) => el("th", { text: h })))]),
        el("tbody", {}, rows),
      ]),
      pager,
    );
  }

  D.view("heroes", {
    show() {
      if (!form) build();
      search();
    },
  });
})();
