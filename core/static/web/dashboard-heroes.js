/* Heroes: the register of honoured heroes (见义勇为英雄 / 先进个人 / 嘉奖) in the jurisdiction, read-only,
 * searchable by name, deed or awarding body, honour and year, with the same filters as a CSV download
 * (GET /api/v1/heroes.csv, audited as an export). Recording and correcting heroes is the API's for now.
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
  let form = null;
  let offset = 0;
  let reads = 0; // the newest search: older answers that land later are dropped

  function build() {
    const thisYear = new Date().getFullYear();
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
    section.replaceChildren(form, el("div", { class: "zq-card", "data-testid": "heroes-results" }));
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
    const read = ++reads;
    box.setAttribute("aria-busy", "true");
    let data;
    try { data = await zq.api("GET", "heroes?" + params); } catch (err) {
      if (read !== reads) return;
      box.removeAttribute("aria-busy");
      box.replaceChildren(el("p", { class: "zq-error", text: D.errorText(err) }));
      return;
    }
    if (read !== reads) return;
    box.removeAttribute("aria-busy");
    const rows = data.items.map((h) => el("tr", { "data-hero-id": h.id }, [
      el("td", { text: h.name, "data-field": "name" }),
      el("td", { text: h.honour_label, "data-field": "honour" }),
      el("td", { text: h.area_name, "data-field": "area" }),
      el("td", { text: h.honoured_on, "data-field": "honoured_on" }),
      el("td", { text: h.deed, "data-field": "deed" }),
      el("td", { text: h.deed_date, "data-field": "deed_date" }),
      el("td", { text: h.awarding_body || "–", "data-field": "awarding_body" }),
    ]));
    const pager = el("div", { class: "zq-actions" }, [
      el("span", { class: "zq-muted", "data-testid": "heroes-count", text: zq.interpolate(t("%(from)s–%(to)s of %(count)s"),
        { from: data.count ? offset + 1 : 0, to: offset + data.items.length, count: D.fmtNumber(data.count) }) }),
      el("button", { type: "button", disabled: offset === 0, onclick: () => { offset = Math.max(0, offset - PAGE); search(); }, text: t("Previous") }),
      el("button", { type: "button", disabled: offset + PAGE >= data.count, onclick: () => { offset += PAGE; search(); }, text: t("Next") }),
    ]);
    box.replaceChildren(
      el("table", { class: "zq-table", "data-testid": "heroes-table" }, [
        el("thead", {}, [el("tr", {}, [t("Name"), t("Honour"), t("Area"), t("Honoured on"), t("Deed"), t("Date of the deed"),
          t("Awarding body")].map((h) => el("th", { text: h })))]),
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
