/* Yearly evaluation (年度考核): each county's association in a year, one row per county the user's
 * jurisdiction covers whole (GET /api/v1/reports/evaluation), with its CSV and XLSX downloads (audited
 * as exports). Read-only; the page offers it only where the API answers (config.evaluation).
 */
(function () {
  "use strict";
  const D = zqDash;
  const t = zq.t;
  const el = zq.el;
  const section = document.querySelector(".zq-view-evaluation");
  if (!section) return; // only a county or city role has the view
  const FIRST_YEAR = 2000; // as the API (dispatch/evaluation.py)
  const count = (n) => D.fmtNumber(n);
  const seconds = (s) => (s === null || s === undefined ? "–" : D.fmtNumber(Math.round(s)));
  // The API's fields in its order (the XLSX titles are the same msgids); the division code is the row's key.
  const COLUMNS = [
    ["volunteers", "Volunteers", count],
    ["liaisons", "Liaisons", count],
    ["sessions", "Sessions", count],
    ["attendance_rate", "Attendance rate", D.fmtPercent],
    ["alerts", "Alerts", count],
    ["accepted", "Accepted", count],
    ["median_accept_s", "Median time to accept (s)", seconds],
    ["p90_accept_s", "90th percentile to accept (s)", seconds],
    ["needed_reached", "Alerts that reached the number needed", count],
    ["needed_reached_share", "Share that reached the number needed", D.fmtPercent],
    ["stations_without_head", "Stations without a head", count],
    ["townships_with_gaps", "Townships with sector gaps", count],
    ["sector_gaps", "Sector gaps", count],
  ];
  let form = null;

  function build() {
    const thisYear = Number(zq.cityDay(new Date()).slice(0, 4)); // the year in Beijing, whatever the browser's zone
    const years = [];
    for (let y = thisYear; y >= FIRST_YEAR; y -= 1) years.push(el("option", { value: String(y), text: String(y) }));
    form = el("form", { class: "zq-card zq-search", "data-testid": "evaluation-form" }, [
      el("label", {}, [t("Year"), el("select", { name: "year", "data-testid": "evaluation-year" }, years)]),
      el("button", { type: "submit", class: "zq-primary", text: t("Show") }),
      el("div", { class: "zq-actions" }, [
        el("a", { class: "zq-button", "data-testid": "evaluation-csv", download: "", text: t("Evaluation CSV") }),
        el("a", { class: "zq-button", "data-testid": "evaluation-xlsx", download: "", text: t("Evaluation XLSX") }),
      ]),
    ]);
    form.addEventListener("submit", (e) => { e.preventDefault(); load(); });
    form.addEventListener("change", load);
    section.replaceChildren(
      form,
      el("div", { class: "zq-card", "data-testid": "evaluation-results" }, [
        el("h2", { text: t("Yearly evaluation") }),
        el("p", { class: "zq-muted", text: t("Members and vacancies are as of now; sessions, attendance and alerts are those of the year.") }),
        el("div", { class: "zq-table-wrap", "data-testid": "evaluation-body" }),
      ]),
    );
  }

  async function load() {
    const year = form.elements.year.value;
    const query = new URLSearchParams({ year: year });
    form.querySelector("[data-testid=evaluation-csv]").href = "/api/v1/reports/evaluation.csv?" + query;
    form.querySelector("[data-testid=evaluation-xlsx]").href = "/api/v1/reports/evaluation.xlsx?" + query;
    query.set("limit", "200"); // every county of a city on one page (Hebi has five)
    const box = section.querySelector("[data-testid=evaluation-body]");
    const data = await D.readInto(box, "reports/evaluation?" + query); // an older year's late answer is dropped
    if (!data) return;
    const rows = data.items.map((county) => el("tr", { "data-county": county.code }, [
      el("th", { scope: "row", text: county.name, "data-field": "name" }),
      ...COLUMNS.map(([field, , show]) => el("td", { class: "zq-num", "data-field": field, text: show(county[field]) })),
    ]));
    box.replaceChildren(el("table", { class: "zq-table", "data-testid": "evaluation-table", "data-year": year }, [
      el("thead", {}, [el("tr", {}, [
        el("th", { scope: "col", text: t("County") }),
        ...COLUMNS.map(([, label]) => el("th", { scope: "col", class: "zq-num", text: t(label) })),
      ])]),
      el("tbody", {}, rows),
    ]));
  }

  D.view("evaluation", {
    show() {
      if (!form) build();
      load();
    },
  });
})();
