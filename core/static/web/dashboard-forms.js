/* What the dashboard's write forms share (People's member forms, Heroes' hero form, the session form): where the user may write,
 * labelled fields, one request at a time, and the API's refusals shown with the fields they name.
 *
 * zqDash.forms.manages(areaCode)             whether the user manages people (and the heroes' register) there:
 *                                            config.manage_units, as the API's MANAGE_PEOPLE decides
 * zqDash.forms.manageAreas()                 the counties and townships where they do, for the pickers
 * zqDash.forms.areaOptions(areas, selected)  <option>s for an area picker (a selected area not among them is kept)
 * zqDash.forms.field(label, input, hint)     a <label> with the input and an optional hint
 * zqDash.forms.busy(key)                     whether a request for `key` ("create", "edit:ID") is on its way
 * zqDash.forms.submit({key, form, box, button, aliases}, request)
 *                                            runs request() unless one for `key` is on its way, with `button`
 *                                            (or the one `button()` finds after a redraw) off meanwhile; resolves
 *                                            to its answer, or to null once the refusal is shown (showError)
 * zqDash.forms.memberPicker({name, value, testid, onPick})
 *                                            a member chosen by searching (GET people?q=: the user's jurisdiction
 *                                            only) instead of typed as a number: the hidden input `name` holds the
 *                                            chosen id ("" for none); onPick(person or null) after each change
 * zqDash.forms.showError(box, err, form, aliases)
 *                                            the refusal's message in `box` (data-code: its code); each field it
 *                                            names marked aria-invalid with its own message next to it (a group
 *                                            of checkboxes: its <fieldset data-name=NAME>)
 */
(function () {
  "use strict";
  const D = zqDash;
  const t = zq.t;
  const el = zq.el;
  const manageUnits = D.config.manage_units || [];
  const inFlight = new Set(); // a request on its way per key: its button stays off through redraws

  const manages = (code) => !!code && manageUnits.some((u) => code.startsWith(u.area_prefix));

  async function manageAreas() {
    let areas = [];
    try { areas = await D.loadAreas(); } catch (err) { D.toast(D.errorText(err), "error"); }
    const seen = new Set(); // each area once, whichever layers list it
    return areas.filter((a) => manages(a.code) && !seen.has(a.code) && seen.add(a.code));
  }

  function areaOptions(areas, selected) {
    const options = areas.map((a) => el("option", { value: a.code, selected: a.code === selected, text: (a.level === "township" ? "\u3000" : "") + a.name }));
    if (selected && !areas.some((a) => a.code === selected)) { // a village, say: kept as it is
      options.unshift(el("option", { value: selected, selected: true, text: D.areaName(selected) }));
    }
    return options;
  }

  function field(label, input, hint) {
    return el("label", {}, [label, input, hint ? el("small", { class: "zq-muted", text: hint }) : null].filter(Boolean));
  }

  const PICKS = 8; // matches shown at once: a longer list means the search should be narrower

  function memberPicker(opts) {
    const id = opts.testid;
    const hidden = el("input", { type: "hidden", name: opts.name, value: opts.value == null ? "" : String(opts.value) });
    const query = el("input", { type: "search", maxlength: "64", autocomplete: "off", placeholder: t("Part of a name or phone number"),
      "aria-label": t("Find a member"), "data-testid": id + "-q" });
    const matches = el("ul", { class: "zq-list zq-picks", "data-testid": id + "-matches", hidden: true });
    const chosen = el("span", { "data-testid": id + "-chosen" });
    const remove = el("button", { type: "button", "data-testid": id + "-remove", text: t("Remove") });
    const shown = el("div", { class: "zq-picked", hidden: true }, [chosen, remove]);
    let asked = 0; // the newest search: an older one's late answer is dropped

    function pick(person, label) {
      asked += 1;
      hidden.value = person ? String(person.id) : "";
      chosen.textContent = label || "";
      shown.hidden = !person;
      query.hidden = !!person;
      matches.hidden = true;
      matches.replaceChildren();
      query.value = "";
      if (opts.onPick) opts.onPick(person);
    }
    const describe = (p) => [p.name, p.area_name, p.phone].filter(Boolean).join(" · ");

    async function search() {
      const text = query.value.trim();
      const mine = ++asked;
      if (!text) { matches.hidden = true; matches.replaceChildren(); return; }
      let data;
      try {
        data = await zq.api("GET", "people?" + new URLSearchParams({ q: text, limit: String(PICKS) }));
      } catch (err) {
        if (mine !== asked) return;
        matches.replaceChildren(el("li", {}, [el("span", { class: "zq-error", text: D.errorText(err) })]));
        matches.hidden = false;
        return;
      }
      if (mine !== asked) return;
      const items = data.items.map((p) => el("li", {}, [el("a", { href: "#", "data-person-id": p.id, text: describe(p),
        onclick: (e) => { e.preventDefault(); pick(p, describe(p)); remove.focus(); } })]));
      if (!items.length) items.push(el("li", {}, [el("span", { class: "zq-muted", text: t("No member matches.") })]));
      else if (data.count > items.length) {
        items.push(el("li", {}, [el("span", { class: "zq-muted", text: zq.interpolate(t("%(count)s match; type more to narrow it."), { count: D.fmtNumber(data.count) }) })]));
      }
      matches.replaceChildren(...items);
      matches.hidden = false;
    }
    const later = D.debounce(search, 250);
    query.addEventListener("input", later);
    query.addEventListener("keydown", (e) => {
      if (e.key !== "Enter") return;
      e.preventDefault(); // Enter looks members up; it does not send the form
      const first = matches.hidden ? null : matches.querySelector("a[data-person-id]");
      if (first) first.click(); else search();
    });
    remove.addEventListener("click", () => { pick(null); query.focus(); });

    if (opts.value != null) { // an existing link: named as the People view names them, or by number if out of sight
      chosen.textContent = "#" + opts.value;
      shown.hidden = false;
      query.hidden = true;
      const mine = asked;
      zq.api("GET", "people/" + opts.value).then((p) => { if (mine === asked) chosen.textContent = describe(p); }, () => {});
    }
    return el("div", { class: "zq-picker", "data-testid": id, "data-name": opts.name }, [hidden, query, shown, matches]);
  }

  /* The API's field errors (a 422's details, by pydantic's type) in the reader's language. */
  const FIELD_MESSAGES = {
    missing: "Fill this in.",
    string_too_short: "Too short (spaces alone do not count).",
    string_too_long: "Too long.",
    string_pattern_mismatch: "Not in the expected form.",
    int_parsing: "Give a whole number.",
    date_parsing: "Not a real calendar date.",
    date_from_datetime_parsing: "Not a real calendar date.",
    date_type: "Not a real calendar date.",
    date_in_future: "The date must not be in the future.",
    date_too_early: "The date must not be before 1900.",
    enum: "Choose one of the options.",
  };

  function clearError(box, form) {
    box.hidden = true;
    box.textContent = "";
    form.querySelectorAll("[aria-invalid]").forEach((node) => node.removeAttribute("aria-invalid"));
    form.querySelectorAll("[data-testid=field-error]").forEach((node) => node.remove());
  }

  /* A 422's details name fields one by one (pydantic's loc and type): each gets its own message. A domain
   * error's details ({field: value}, or {field: "name"}) name fields by the API's names (`aliases` maps one
   * to the form's, e.g. People's area_code to home_area_code) and share its one message, which goes next to
   * the last field named (honoured_before_deed names the deed's date, then the honour's). */
  function showError(box, err, form, aliases) {
    clearError(box, form);
    const details = err && err.details;
    const input = (name) => {
      const found = form.elements.namedItem(name);
      if (!found) return null;
      if (typeof found.setAttribute !== "function") { // a group of checkboxes is marked as a whole, by its fieldset
        const group = found[0] && found[0].closest("fieldset[data-name]");
        return group && group.dataset.name === name ? group : null;
      }
      return (found.type === "hidden" && found.closest(".zq-picker")) || found; // a picker is marked as a whole
    };
    const nameOf = (node) => node.name || node.dataset.name;
    const marks = []; // [input, message, code]
    if (Array.isArray(details)) {
      details.forEach((d) => {
        // The last name in the location: a list's item (["body", "payload", "team_ids", 0]) marks the list.
        const name = d && Array.isArray(d.loc) ? d.loc.filter((part) => typeof part === "string").pop() : null;
        const found = name ? input(name) : null;
        if (found) marks.push([found, t(FIELD_MESSAGES[d.type] || "Not valid."), d.type || ""]);
      });
    } else if (details && typeof details === "object") {
      const names = typeof details.field === "string" ? [details.field] : [];
      Object.keys(details).filter((k) => k !== "field").forEach((k) => names.push(...((aliases || {})[k] || [k])));
      const named = names.map(input).filter(Boolean);
      named.forEach((found, i) => marks.push([found, i === named.length - 1 ? D.errorText(err) : "", err.code]));
    }
    marks.forEach(([found, message, code]) => {
      found.setAttribute("aria-invalid", "true");
      const shown = Array.from(form.querySelectorAll("[data-testid=field-error]")).some((m) => m.dataset.for === nameOf(found));
      if (message && !shown) { // a field named twice says it once
        found.after(el("small", { class: "zq-field-error", "data-testid": "field-error", "data-for": nameOf(found), "data-code": code, text: message }));
      }
    });
    box.textContent = D.errorText(err);
    box.dataset.code = (err && err.code) || "";
    box.hidden = false;
  }

  /* `where`: {key, form, box, button (or a function finding the current one after a redraw), aliases}. */
  async function submit(where, request) {
    if (inFlight.has(where.key)) return null; // a second click while the first is on its way
    const button = () => (typeof where.button === "function" ? where.button() : where.button);
    inFlight.add(where.key);
    const first = button();
    if (first) first.disabled = true;
    clearError(where.box, where.form);
    try {
      return await request();
    } catch (err) {
      if (where.form.isConnected) showError(where.box, err, where.form, where.aliases);
      else D.toast(D.errorText(err), "error");
      return null;
    } finally {
      inFlight.delete(where.key);
      const again = button();
      if (again && again.isConnected) again.disabled = false;
    }
  }

  D.forms = { manages: manages, manageAreas: manageAreas, areaOptions: areaOptions, field: field, memberPicker: memberPicker,
    busy: (key) => inFlight.has(key), submit: submit, showError: showError, clearError: clearError };
})();
