/* Import liaisons (#imports): pick an .xlsx or .csv, see the server's dry-run report row by row, then
 * import. The API is stateless, so the import uploads the same file again and the server checks it again:
 * a file with bad rows imports its valid rows and leaves the bad ones out (?skip_invalid=true), each
 * reported. Only for users who manage people (the section is not on the page otherwise).
 */
(function () {
  "use strict";
  const D = zqDash;
  const t = zq.t;
  const el = zq.el;
  const section = document.querySelector(".zq-view-imports");
  if (!section) return;
  const FIELDS = { name: "Name", phone: "Mobile number", id_number: "ID number", sector: "Sector", employer: "Employer", township: "Township or street", shifts: "Shifts" };
  let columns = null; // [{key, title, aliases, required}] from the API
  let file = null; // the file checked (the import sends it again)
  let report = null; // the dry run's answer for `file`
  let result = null; // the import's answer
  let busy = null; // "check" | "import": a request on its way (the buttons stay off through redraws)
  let uploads = 0; // the newest upload: an answer for a file since replaced is dropped
  let progressKey = null;
  let progress = "";
  let error = null;

  const chinese = (document.documentElement.lang || "zh").startsWith("zh");
  // The sheet may name a sector either way; the Chinese name is what a sheet from the association uses.
  const sectorName = (s) => (chinese ? s.name_zh : s.name_en + " (" + s.name_zh + ")");
  const columnTitle = (key) => {
    const found = columns && columns.find((c) => c.key === key);
    return found ? found.title : t(FIELDS[key] || key);
  };

  async function build() {
    let sectors = [];
    try {
      [columns, sectors] = await Promise.all([
        zq.api("GET", "liaisons/imports/columns").then((data) => data.columns),
        zq.api("GET", "liaisons/sectors?limit=100").then((page) => page.items),
      ]);
    } catch (err) { D.toast(D.errorText(err), "error"); columns = columns || []; }
    const intro = el("div", { class: "zq-card" }, [
      el("h2", { text: t("Import liaisons from a spreadsheet") }),
      el("p", { text: t("One liaison per row, in an .xlsx workbook (its first sheet) or a .csv file (UTF-8 or GBK). The file is checked first; nothing is written until you confirm. People are matched by ID number, so importing a file again changes only what changed.") }),
      el("table", { class: "zq-table", "data-testid": "import-columns" }, [
        el("thead", {}, [el("tr", {}, [t("Column"), t("Also accepted"), ""].map((h) => el("th", { text: h })))]),
        el("tbody", {}, columns.map((c) => el("tr", { "data-key": c.key }, [
          el("td", { text: c.title }), el("td", { class: "zq-muted", text: c.aliases.join("、") }),
          el("td", { text: c.required ? t("required") : t("optional") }),
        ]))),
      ]),
      sectors.length ? el("p", { class: "zq-muted", text: zq.interpolate(t("Sectors: %(names)s"), { names: sectors.map(sectorName).join("、") }) }) : null,
      el("p", { class: "zq-muted", text: t("Shifts look like 10:00-14:00;17:00-21:00. Other columns (a serial number, say) are ignored.") }),
      el("div", { class: "zq-actions" }, [
        el("a", { class: "zq-button", href: "/api/v1/liaisons/imports/template", download: "", "data-testid": "import-template", text: t("Download the template (CSV)") }),
      ]),
    ].filter(Boolean));
    const input = el("input", { type: "file", name: "file", required: true, "data-testid": "import-file",
      accept: ".xlsx,.csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,text/csv" });
    const form = el("form", { class: "zq-card zq-form", "data-testid": "import-form" }, [
      el("label", {}, [t("Spreadsheet"), input]),
      el("div", { class: "zq-actions" }, [el("button", { type: "submit", class: "zq-primary", "data-testid": "import-check", text: t("Check the file") })]),
      el("div", { "data-testid": "import-state" }),
    ]);
    input.addEventListener("change", () => {
      // Another file: whatever was shown (or is on its way) belongs to the old one.
      uploads += 1;
      file = null; report = null; result = null; error = null; busy = null; progress = "";
      draw();
    });
    form.addEventListener("submit", (e) => { e.preventDefault(); check(input.files[0]); });
    section.replaceChildren(intro, form);
    draw();
  }

  function upload(chosen, params) {
    progressKey = "imp" + Date.now().toString(36) + Math.random().toString(36).slice(2, 8);
    const body = new FormData();
    body.append("file", chosen, chosen.name);
    return zq.api("POST", "liaisons/imports?" + new URLSearchParams({ ...params, progress_key: progressKey }), body);
  }

  async function check(chosen) {
    if (busy || !chosen) return;
    const read = ++uploads;
    file = chosen; report = null; result = null; error = null; busy = "check"; progress = "";
    draw();
    try {
      const answer = await upload(chosen, { dry_run: "true" });
      if (read === uploads) report = answer;
    } catch (err) {
      if (read === uploads) error = err;
    } finally {
      if (read === uploads) { busy = null; progress = ""; draw(); }
    }
  }

  async function importNow() {
    if (busy || !file || !report || !report.valid) return;
    const read = ++uploads;
    busy = "import"; error = null; progress = "";
    draw();
    try {
      const answer = await upload(file, { dry_run: "false", skip_invalid: report.error_count ? "true" : "false" });
      if (read === uploads) result = answer;
    } catch (err) {
      if (read === uploads) {
        error = err;
        // Refused for bad rows after all (the file changed since it was checked): show that report.
        if (err.code === "import_has_errors" && err.details) report = { ...report, error_count: err.details.error_count, errors: err.details.errors };
      }
    } finally {
      if (read === uploads) { busy = null; progress = ""; draw(); }
    }
  }

  function errorTable(errors, count) {
    return el("div", {}, [
      el("table", { class: "zq-table", "data-testid": "import-errors" }, [
        el("thead", {}, [el("tr", {}, [t("Line"), t("Column"), t("Problem")].map((h) => el("th", { text: h })))]),
        el("tbody", {}, errors.map((e) => el("tr", { "data-row": e.row, "data-field": e.field, "data-code": e.code }, [
          el("td", { class: "zq-num", text: String(e.row) }), el("td", { text: columnTitle(e.field) }), el("td", { text: e.message }),
        ]))),
      ]),
      count > errors.length ? el("p", { class: "zq-muted", text: zq.interpolate(t("Only the first %(n)s problems are listed."), { n: D.fmtNumber(errors.length) }) }) : null,
    ].filter(Boolean));
  }

  function stat(label, value, testid) {
    return el("div", {}, [el("dt", { text: label }), el("dd", { "data-testid": testid, text: D.fmtNumber(value) })]);
  }

  function draw() {
    const form = section.querySelector("[data-testid=import-form]");
    if (!form) return;
    form.querySelector("[data-testid=import-check]").disabled = !!busy;
    const state = form.querySelector("[data-testid=import-state]");
    zq.redraw(state, () => state.replaceChildren(...[
      busy ? el("p", { class: "zq-muted", "data-testid": "import-progress", role: "status",
        text: progress || (busy === "check" ? t("Checking the file…") : t("Importing…")) }) : null,
      error ? el("p", { class: "zq-error", role: "alert", "data-testid": "import-error", "data-code": error.code, text: D.errorText(error) }) : null,
      report ? reportCard() : null,
    ].filter(Boolean)));
  }

  function reportCard() {
    const done = !!result;
    const shown = result || report;
    const stats = done
      ? [stat(t("Rows"), shown.rows, "import-rows"), stat(t("New"), shown.created, "import-created"), stat(t("Updated"), shown.updated, "import-updated"),
        stat(t("Unchanged"), shown.unchanged, "import-unchanged"), stat(t("Left out"), shown.error_count, "import-error-count")]
      : [stat(t("Rows"), shown.rows, "import-rows"), stat(t("Valid"), shown.valid, "import-valid"), stat(t("New"), shown.created, "import-created"),
        stat(t("With problems"), shown.error_count, "import-error-count")];
    const confirm = !done && report.valid
      ? el("button", { type: "button", class: "zq-primary", "data-testid": "import-confirm", disabled: !!busy, onclick: importNow,
        text: report.error_count
          ? zq.interpolate(t("Import the %(n)s valid rows, leave out the rest"), { n: D.fmtNumber(report.valid) })
          : zq.interpolate(t("Import %(n)s rows"), { n: D.fmtNumber(report.valid) }) })
      : null;
    return el("section", { class: "zq-import-report", "data-testid": "import-report", "data-state": done ? "imported" : "checked" }, [
      el("h3", { text: done ? t("Imported") : zq.interpolate(t("Checked: %(file)s"), { file: file ? file.name : "" }) }),
      el("dl", { class: "zq-counts" }, stats),
      done
        ? el("p", { "data-testid": "import-result", text: zq.interpolate(t("%(created)s new, %(updated)s updated, %(unchanged)s unchanged; %(skipped)s rows left out."),
          { created: D.fmtNumber(shown.created), updated: D.fmtNumber(shown.updated), unchanged: D.fmtNumber(shown.unchanged), skipped: D.fmtNumber(shown.error_count) }) })
        : el("p", { class: "zq-muted", text: !report.valid ? t("No row can be imported: correct the file and check it again.")
          : report.error_count ? t("The rows listed below will be left out; correct them and import the file again later to add them.") : t("Every row is valid.") }),
      shown.errors.length ? errorTable(shown.errors, shown.error_count) : null,
      confirm ? el("div", { class: "zq-actions" }, [confirm]) : null,
    ].filter(Boolean));
  }

  D.on("liaisons.import_progress", (event) => {
    if (!busy || event.key !== progressKey) return;
    progress = event.phase === "checking" ? zq.interpolate(t("%(n)s rows checked…"), { n: D.fmtNumber(event.rows) })
      : event.phase === "writing" ? t("Writing…") : progress;
    const line = section.querySelector("[data-testid=import-progress]");
    if (line && progress) line.textContent = progress;
  });

  let building = null;
  D.view("imports", {
    async show() {
      if (!building) building = build();
      await building;
    },
  });
})();
