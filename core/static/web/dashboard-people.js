/* People: search and view members within the jurisdiction, masked exactly as the API returns them
 * (phones and ID numbers are unmasked only for roles that need them, and those reads are audited).
 * Where the user manages people: "New member", a person's "Edit", "Grant a role", "Make a liaison", "Take away" and
 * "No longer a liaison" (the forms are dashboard-people-edit.js).
 */
(function () {
  "use strict";
  const D = zqDash;
  const t = zq.t;
  const el = zq.el;
  const section = document.querySelector(".zq-view-people");
  const PAGE = 50;
  let building = null;
  let form = null;
  let offset = 0;
  let personReads = 0;
  let shownId = null; // the person in the detail box (a save answered after another was opened is not drawn)
  const E = D.peopleEdit;
  const canManage = !!D.config.can.manage_people;

  function roleText(roles) {
    return roles.map((r) => (D.config.roles[r.role] || r.role) + (r.area_code ? " · " + D.areaName(r.area_code) : "")).join("; ");
  }

  async function build() {
    let areas = [];
    try { areas = await D.loadAreas(); } catch (err) { D.toast(D.errorText(err), "error"); }
    form = el("form", { class: "zq-card zq-search", "data-testid": "people-search" }, [
      el("label", {}, [t("Name, username or phone"), el("input", { name: "q", type: "search", maxlength: "64", "data-testid": "people-q" })]),
      el("label", {}, [t("Role"), el("select", { name: "role" }, [el("option", { value: "", text: t("All") }),
        ...Object.entries(D.config.roles).map(([v, l]) => el("option", { value: v, text: l }))])]),
      el("label", {}, [t("Area"), el("select", { name: "area" }, [el("option", { value: "", text: t("All") }),
        ...areas.map((a) => el("option", { value: a.code, text: (a.level === "township" ? "\u3000" : "") + a.name }))])]),
      el("button", { type: "submit", class: "zq-primary", text: t("Search") }),
    ]);
    form.addEventListener("submit", (e) => { e.preventDefault(); offset = 0; search(); });
    const newBox = el("div", { "data-testid": "person-new-box", hidden: true });
    if (canManage) {
      form.append(el("button", { type: "button", "data-testid": "person-new", onclick: () => openNew(newBox), text: t("New member") }));
    }
    section.replaceChildren(form, newBox, el("div", { class: "zq-card", "data-testid": "people-results" }),
      el("div", { class: "zq-card", "data-testid": "person-detail", hidden: true }));
    search();
  }

  let opening = false;
  async function openNew(box) {
    if (opening || !box.hidden) { const first = box.querySelector("input"); if (first) first.focus(); return; }
    opening = true;
    try {
      const card = await E.newForm({
        onCreated(person) {
          box.hidden = true;
          box.replaceChildren();
          search();
          D.go("#people/" + person.id);
        },
        onCancel() { box.hidden = true; box.replaceChildren(); },
      });
      box.replaceChildren(card);
      box.hidden = false;
      card.querySelector("input").focus();
    } finally {
      opening = false;
    }
  }

  async function search() {
    const F = form.elements;
    const params = new URLSearchParams({ limit: String(PAGE), offset: String(offset) });
    if (F.q.value.trim()) params.set("q", F.q.value.trim());
    if (F.role.value) params.set("role", F.role.value);
    if (F.area.value) params.set("area", F.area.value);
    const box = section.querySelector("[data-testid=people-results]");
    const data = await D.readInto(box, "people?" + params); // null when a newer search or page was asked for meanwhile
    if (!data) return;
    const rows = data.items.map((p) => el("tr", { "data-person-id": p.id }, [
      el("td", {}, [el("a", { href: "#people/" + p.id, text: p.name })]),
      el("td", { text: p.phone, "data-field": "phone" }),
      el("td", { text: p.area_name }),
      el("td", { text: roleText(p.roles) }),
      el("td", { text: p.username || "" }),
    ]));
    const pager = el("div", { class: "zq-actions" }, [
      el("span", { class: "zq-muted", "data-testid": "people-count", text: zq.interpolate(t("%(from)s–%(to)s of %(count)s"),
        { from: data.count ? offset + 1 : 0, to: offset + data.items.length, count: D.fmtNumber(data.count) }) }),
      el("button", { type: "button", disabled: offset === 0, onclick: () => { offset = Math.max(0, offset - PAGE); search(); }, text: t("Previous") }),
      el("button", { type: "button", disabled: offset + PAGE >= data.count, onclick: () => { offset += PAGE; search(); }, text: t("Next") }),
    ]);
    box.replaceChildren(
      el("table", { class: "zq-table", "data-testid": "people-table" }, [
        el("thead", {}, [el("tr", {}, [t("Name"), t("Phone"), t("Area"), t("Roles"), t("Username")].map((h) => el("th", { text: h })))]),
        el("tbody", {}, rows),
      ]),
      pager,
    );
  }

  async function showPerson(id) {
    const box = section.querySelector("[data-testid=person-detail]");
    if (!box) return;
    box.hidden = false;
    const read = ++personReads;
    let p;
    try { p = await zq.api("GET", "people/" + id); } catch (err) {
      if (read !== personReads) return;
      shownId = null;
      box.replaceChildren(el("p", { class: "zq-error", text: D.errorText(err) }));
      return;
    }
    if (read !== personReads) return; // another person was opened meanwhile
    await drawPerson(p, read);
    box.scrollIntoView({ block: "nearest" });
  }

  /* The detail of `p` (as the API gave it), with "Edit" and "Grant a role" where the user manages them. */
  async function drawPerson(p, read) {
    const box = section.querySelector("[data-testid=person-detail]");
    const mine = canManage && E.manages(p.area_code);
    const areas = mine ? await E.manageAreas() : [];
    if (read !== personReads) return;
    shownId = p.id;
    const redraw = (q) => { if (shownId === q.id) drawPerson(q, personReads); };
    const grant = mine ? E.grantForm(p, areas, { onGranted: redraw }) : null;
    const liaison = mine ? E.liaisonForm(p, { onMade: (q) => { search(); redraw(q); } }) : null;
    const roles = mine ? E.rolesList(p, { onChanged: (q) => { search(); redraw(q); } }) : null;
    zq.redraw(box, () => box.replaceChildren(...[
      el("h2", { "data-testid": "person-name-heading", text: p.name }),
      el("dl", { class: "zq-counts", "data-testid": "person-fields", "data-person-id": p.id }, [
        ["phone", t("Phone"), p.phone], ["id_number", t("ID number"), p.id_number], ["area", t("Area"), p.area_name],
        ["username", t("Username"), p.username || "–"], ["roles", t("Roles"), roleText(p.roles) || "–"],
        ["active", t("Active"), p.is_active ? t("yes") : t("no")],
      ].map(([key, k, v]) => el("div", {}, [el("dt", { text: k }), el("dd", { text: v, "data-field": key, style: "font-size:1rem" })]))),
      mine ? el("div", { class: "zq-actions" }, [
        el("button", { type: "button", "data-testid": "person-edit", onclick: () => edit(p), text: t("Edit") }),
      ]) : null,
      roles,
      grant,
      liaison,
    ].filter(Boolean)));
  }

  let editing = false;
  async function edit(p) {
    if (editing) return;
    editing = true;
    const read = personReads;
    let form;
    try {
      form = await E.editForm(p, {
        onSaved(saved) {
          search(); // the list shows the new name, area...
          if (shownId === saved.id) drawPerson(saved, personReads);
        },
        onCancel() { if (shownId === p.id) drawPerson(p, personReads); },
      });
    } finally {
      editing = false;
    }
    if (read !== personReads || shownId !== p.id) return; // another person was opened meanwhile
    const box = section.querySelector("[data-testid=person-detail]");
    box.replaceChildren(form);
    form.elements.name.focus();
  }

  D.view("people", {
    async show(param) {
      if (!building) building = build();
      await building;
      if (param) showPerson(param);
      else { personReads += 1; section.querySelector("[data-testid=person-detail]").hidden = true; }
    },
  });
})();
