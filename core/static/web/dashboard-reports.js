/* Reports: attendance rates and alert response times as charts (Chart.js, loaded when first needed),
 * with the CSV/XLSX downloads of the same rows (exports are audited by the server).
 */
(function () {
  "use strict";
  const D = zqDash;
  const t = zq.t;
  const el = zq.el;
  const section = document.querySelector(".zq-view-reports");
  const global = window;
  const CHART_JS = section.dataset.chartJs;
  const charts = {};
  let built = false;

  const day = zq.cityDay; // the form's dates are Beijing days, as the queries below say (+08:00)

  function build() {
    built = true;
    const until = new Date(Date.now() + 86400000);
    const since = new Date(Date.now() - 90 * 86400000);
    const form = el("form", { class: "zq-card zq-search", "data-testid": "report-form" }, [
      el("label", {}, [t("From"), el("input", { type: "date", name: "since", value: day(since), required: true })]),
      el("label", {}, [t("Until (exclusive)"), el("input", { type: "date", name: "until", value: day(until), required: true })]),
      el("label", {}, [t("Group by"), el("select", { name: "level" }, [
        el("option", { value: "county", text: t("County") }), el("option", { value: "township", text: t("Township") }),
      ])]),
      el("button", { type: "submit", class: "zq-primary", text: t("Show") }),
    ]);
    const attendance = el("section", { class: "zq-card", "data-testid": "report-attendance" }, [
      el("h2", { text: t("Attendance at trainings and meetings") }),
      el("div", { class: "zq-chart" }, [el("canvas", { "data-testid": "chart-attendance", role: "img", "aria-label": t("Attendance rate") })]),
      el("p", { class: "zq-muted", "data-testid": "attendance-empty", hidden: true, text: t("No sessions in this period.") }),
      el("div", { class: "zq-actions", "data-testid": "attendance-downloads" }),
    ]);
    const response = el("section", { class: "zq-card", "data-testid": "report-response" }, [
      el("h2", { text: t("Alert response times") }),
      el("div", { class: "zq-chart" }, [el("canvas", { "data-testid": "chart-response", role: "img", "aria-label": t("Response times") })]),
      el("p", { class: "zq-muted", "data-testid": "response-empty", hidden: true, text: t("No alerts in this period.") }),
      el("div", { class: "zq-actions", "data-testid": "response-downloads" }),
    ]);
    section.replaceChildren(form, el("div", { class: "zq-charts" }, [attendance, response]));
    form.addEventListener("submit", (e) => { e.preventDefault(); load(form); });
    load(form);
  }

  function chart(name, canvas, config) {
    if (charts[name]) charts[name].destroy();
    charts[name] = new global.Chart(canvas, config);
  }
  function downloads(box, links) {
    box.replaceChildren(...links.map(([label, href]) => el("a", { class: "zq-button", href: href, download: "", text: label })));
  }

  async function load(form) {
    const F = form.elements;
    const since = F.since.value;
    const until = F.until.value;
    const level = F.level.value;
    const q = new URLSearchParams({ since: since, until: until, by: level });
    const qr = new URLSearchParams({ since: since + "T00:00:00+08:00", until: until + "T00:00:00+08:00", level: level });
    downloads(section.querySelector("[data-testid=attendance-downloads]"), [
      [t("Attendance CSV"), "/api/v1/sessions/reports/attendance?" + q + "&format=csv"],
      [t("Attendance XLSX"), "/api/v1/sessions/reports/attendance?" + q + "&format=xlsx"],
      [t("Per person XLSX"), "/api/v1/sessions/reports/attendance?" + new URLSearchParams({ since: since, until: until, by: "person" }) + "&format=xlsx"],
    ]);
    downloads(section.querySelector("[data-testid=response-downloads]"), [
      [t("Response times CSV"), "/api/v1/alerts/reports/response-times.csv?" + qr],
      [t("Response times XLSX"), "/api/v1/alerts/reports/response-times.xlsx?" + qr],
    ]);
    try {
      await D.loadScript(CHART_JS);
    } catch (err) { D.toast(D.errorText(err), "error"); return; }
    global.Chart.defaults.font.family = getComputedStyle(document.documentElement).fontFamily;
    const [rows, times] = await Promise.all([
      zq.api("GET", "sessions/reports/attendance?" + q).then((page) => page.items)
        .catch((err) => { D.toast(D.errorText(err), "error"); return []; }),
      zq.api("GET", "alerts/reports/response-times?" + qr).catch((err) => { D.toast(D.errorText(err), "error"); return null; }),
    ]);
    drawAttendance(rows);
    drawResponse(times ? times.items.filter((r) => r.group === "area") : []);
  }

  function drawAttendance(rows) {
    const canvas = section.querySelector("[data-testid=chart-attendance]");
    section.querySelector("[data-testid=attendance-empty]").hidden = rows.length > 0;
    canvas.dataset.rows = String(rows.length);
    chart("attendance", canvas, {
      type: "bar",
      data: {
        labels: rows.map((r) => r.label || D.areaName(r.key)),
        datasets: [
          { label: t("Present"), data: rows.map((r) => r.present), backgroundColor: "#2e7d32", stack: "a" },
          { label: t("Late"), data: rows.map((r) => r.late), backgroundColor: "#f9a825", stack: "a" },
          { label: t("Excused"), data: rows.map((r) => r.excused), backgroundColor: "#90a4ae", stack: "a" },
          { label: t("Absent"), data: rows.map((r) => r.absent), backgroundColor: "#c62828", stack: "a" },
        ],
      },
      options: {
        maintainAspectRatio: false, animation: false,
        scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, title: { display: true, text: t("People") } } },
        plugins: { tooltip: { callbacks: { footer: (items) => {
          const r = rows[items[0].dataIndex];
          return r.rate === null ? "" : t("Attendance rate") + ": " + Math.round(r.rate * 100) + "%";
        } } } },
      },
    });
  }

  function drawResponse(rows) {
    const canvas = section.querySelector("[data-testid=chart-response]");
    section.querySelector("[data-testid=response-empty]").hidden = rows.length > 0;
    canvas.dataset.rows = String(rows.length);
    chart("response", canvas, {
      type: "bar",
      data: {
        labels: rows.map((r) => r.name || D.areaName(r.key)),
        datasets: [
          { label: t("Median time to accept (s)"), data: rows.map((r) => r.median_accept_s), backgroundColor: "#1565c0" },
          { label: t("90th percentile to accept (s)"), data: rows.map((r) => r.p90_accept_s), backgroundColor: "#90caf9" },
          { label: t("Median time to on scene (s)"), data: rows.map((r) => r.median_on_scene_s), backgroundColor: "#ef6c00" },
        ],
      },
      options: {
        maintainAspectRatio: false, animation: false,
        scales: { y: { beginAtZero: true, title: { display: true, text: t("Seconds") } } },
        plugins: { tooltip: { callbacks: { footer: (items) => {
          const r = rows[items[0].dataIndex];
          return zq.interpolate(t("%(alerts)s alerts, %(accepted)s accepted"), r);
        } } } },
      },
    });
  }

  D.view("reports", { show() { if (!built) build(); } });
})();
