/* The coverage map: counties, townships, the hexagon coverage layer, on-duty responders, active
 * alerts and gaps, updated live; clicking the map starts an alert there (circle, recipient count).
 *
 * Our geometry is WGS-84. When the tiles are GCJ-02 (Amap) every point is converted for display,
 * and a clicked point is sent back with its datum, so the server converts it (one formula, server-side).
 * Without tiles (offline, blocked) the map still draws everything from our own data.
 */
(function () {
  "use strict";
  const D = zqDash;
  const t = zq.t;
  const el = zq.el;
  const tiles = D.config.tiles || {};
  const datum = tiles.datum || "wgs84";
  const HEBI = [35.75, 114.3];

  function ll(lat, lon) { const p = zq.toDatum(lat, lon, datum); return L.latLng(p[0], p[1]); }
  const geo = { coordsToLatLng: (c) => ll(c[1], c[0]) };

  let map = null;
  const layers = {};
  let online = {};
  let townships = [];
  const sectorNames = {}; // sector code -> its name in the page's language
  let gapCodes = new Set();
  let shortfallCodes = new Set();
  let gridDirty = false;
  let pick = null; // {latlng, circle, marker}
  let refreshTimer = null;

  function colour(distance) {
    if (distance === null || distance === undefined) return "#9e9e9e";
    if (distance <= 1000) return "#1a9850";
    if (distance <= 2000) return "#fee08b";
    if (distance <= 5000) return "#fc8d59";
    return "#d73027";
  }

  function init() {
    map = L.map("zq-map", { preferCanvas: true, center: ll(HEBI[0], HEBI[1]), zoom: 10, zoomSnap: 0.5 });
    map.attributionControl.setPrefix(false);
    map.createPane("hexes").style.zIndex = 350;
    if (tiles.url) {
      L.tileLayer(tiles.url, { attribution: tiles.attribution, subdomains: "1234", maxZoom: 18, crossOrigin: false }).addTo(map);
    }
    layers.grid = L.geoJSON(null, {
      ...geo,
      pane: "hexes",
      style: (f) => ({ stroke: false, fillColor: colour(f.properties.distance_m), fillOpacity: f.properties.distance_m === null ? 0.25 : 0.45 }),
      onEachFeature: (f, layer) => layer.bindTooltip(() => el("div", {}, [
        D.areaName(f.properties.township), el("br"),
        t("Nearest on duty") + ": " + (f.properties.distance_m === null ? t("nobody") : D.fmtDistance(f.properties.distance_m)),
      ]), { sticky: true }),
    }).addTo(map);
    layers.counties = L.geoJSON(null, {
      ...geo,
      style: { color: "#37474f", weight: 2, fill: false, interactive: false },
    }).addTo(map);
    layers.townships = L.layerGroup().addTo(map);
    layers.labels = L.layerGroup();
    const labelsByZoom = () => {
      if (map.getZoom() >= 11) layers.labels.addTo(map); else layers.labels.remove();
    };
    map.on("zoomend", labelsByZoom);
    labelsByZoom();
    layers.alerts = L.layerGroup().addTo(map);
    layers.responders = L.layerGroup().addTo(map);
    const overlays = {};
    overlays[t("Coverage (distance to the nearest on duty)")] = layers.grid;
    overlays[t("Counties")] = layers.counties;
    overlays[t("Townships")] = layers.townships;
    overlays[t("On-duty responders")] = layers.responders;
    overlays[t("Active alerts")] = layers.alerts;
    L.control.layers(null, overlays, { collapsed: true }).addTo(map);
    L.control.scale({ imperial: false, position: "topleft" }).addTo(map);
    map.on("click", (e) => startAlert(e.latlng));

    D.on("coverage.changed", liveRefresh);
    D.on("presence", (counts) => { online = counts; showOnline(); });
    if (D.presence) { online = D.presence; showOnline(); } // counted before the map was first shown
    D.on("alert.board", D.throttle(loadAlerts, 1000));
    D.on("reconnected", () => { loadAll(); });
    refreshTimer = setInterval(liveRefresh, 60000); // fixes go stale without any event
    loadAll(true);
  }

  const liveRefresh = D.throttle(() => {
    if (pick) preview(); // who is on duty nearby changed: so may the recipient count
    loadResponders();
    loadTownships();
    loadSummary();
    if (D.current === "map") loadGrid(); else gridDirty = true;
  }, 2000);

  async function loadAll(fit) {
    await Promise.all([loadCounties(fit), loadTownships(), loadSectors()]);
    await Promise.all([loadResponders(), loadSummary(), loadAlerts(), loadGrid()]);
    // A township-level viewer has no county outline: frame their hexagons instead.
    if (fit && !layers.counties.getLayers().length && layers.grid.getLayers().length) {
      map.fitBounds(layers.grid.getBounds(), { padding: [12, 12] });
    }
    document.getElementById("zq-map").dataset.ready = "true"; // every layer has been drawn once
  }

  // Reads of one path may overlap (a burst of live changes): only the newest read's answer is used,
  // so a slow older answer never draws over a newer one.
  const reads = {};
  async function fetchLayer(path, quiet) {
    const mine = (reads[path] = (reads[path] || 0) + 1);
    let data;
    try { data = await zq.api("GET", path); } catch (err) {
      if (!quiet && mine === reads[path]) D.toast(D.errorText(err), "error");
      return null;
    }
    return mine === reads[path] ? data : null;
  }

  async function loadCounties(fit) {
    const data = await fetchLayer("coverage/layers/counties");
    if (!data) return;
    data.features.forEach((f) => { D.areaNames[f.properties.code] = f.properties.name; });
    layers.counties.clearLayers().addData(data);
    if (fit && data.features.length) map.fitBounds(layers.counties.getBounds(), { padding: [12, 12] });
  }

  async function loadGrid() {
    gridDirty = false;
    const data = await fetchLayer("coverage/grid");
    if (data) layers.grid.clearLayers().addData(data);
  }

  async function loadSectors() {
    if (Object.keys(sectorNames).length) return;
    const data = await fetchLayer("liaisons/sectors?limit=200", true);
    const zh = (document.documentElement.lang || "zh-hans").startsWith("zh");
    if (data) data.items.forEach((s) => { sectorNames[s.code] = zh ? s.name_zh : s.name_en; });
  }

  async function loadTownships() {
    const data = await fetchLayer("coverage/layers/townships");
    if (!data) return;
    townships = data.features;
    townships.forEach((f) => { D.areaNames[f.properties.code] = f.properties.name; });
    drawTownships();
  }

  function drawTownships() {
    layers.townships.clearLayers();
    layers.labels.clearLayers();
    townships.forEach((f) => {
      const p = f.properties;
      const [lon, lat] = f.geometry.coordinates;
      const gap = p.on_duty === 0 || gapCodes.has(p.code);
      const short = shortfallCodes.has(p.code);
      const mark = L.circleMarker(ll(lat, lon), {
        radius: gap ? 7 : 5,
        color: gap ? "#c62828" : short ? "#ef6c00" : "#2e7d32",
        weight: gap ? 3 : 2,
        dashArray: gap ? "3 3" : null,
        fillColor: gap ? "#ffffff" : "#2e7d32",
        fillOpacity: gap ? 0.6 : 0.8,
      });
      mark.bindTooltip(() => el("div", {}, [
        el("strong", { text: p.name }), el("br"),
        t("On duty") + ": " + D.fmtNumber(p.on_duty) + " · " + t("Phones online") + ": " + D.fmtNumber(online[p.code] || 0), el("br"),
        t("Volunteers") + ": " + D.fmtNumber(p.volunteers) + " · " + t("Liaisons") + ": " + D.fmtNumber(p.liaisons),
      ]));
      layers.townships.addLayer(mark);
      layers.labels.addLayer(L.marker(ll(lat, lon), {
        icon: L.divIcon({ className: "zq-township-label", html: el("span", { text: p.name }), iconSize: null, iconAnchor: [-8, 8] }),
        interactive: false, keyboard: false,
      }));
    });
  }

  async function loadResponders() {
    const data = await fetchLayer("coverage/layers/on-duty");
    if (!data) return;
    layers.responders.clearLayers();
    data.features.forEach((f) => {
      const p = f.properties;
      const [lon, lat] = f.geometry.coordinates;
      const dot = el("span", {
        class: "zq-responder", "data-testid": "responder", "data-area-code": p.area_code, "data-exact": String(!!p.exact),
      });
      const icon = L.divIcon({ html: dot, className: "", iconSize: [11, 11], iconAnchor: [5.5, 5.5] });
      const marker = L.marker(ll(lat, lon), { icon: icon, keyboard: false, title: p.name || D.areaName(p.area_code) });
      marker.bindTooltip(() => el("div", {}, [
        el("strong", { text: p.name || t("On duty") }), el("br"),
        D.areaName(p.area_code) + " · " + D.fmtTime(p.at) + (p.exact ? "" : " · " + t("approximate position")),
      ]));
      layers.responders.addLayer(marker);
    });
  }

  function showOnline() {
    const total = Object.values(online).reduce((a, b) => a + b, 0);
    document.querySelector("[data-testid=summary-online]").textContent = D.fmtNumber(total);
  }

  async function loadSummary() {
    const [summary, shortfalls] = await Promise.all([fetchLayer("coverage/summary"), fetchLayer("coverage/shortfalls?limit=2000")]);
    if (summary) {
      document.querySelector("[data-testid=summary-responders]").textContent = D.fmtNumber(summary.responders);
      document.querySelector("[data-testid=summary-1km]").textContent = D.fmtPercent(summary.within_1km);
      document.querySelector("[data-testid=summary-2km]").textContent = D.fmtPercent(summary.within_2km);
      document.querySelector("[data-testid=summary-5km]").textContent = D.fmtPercent(summary.within_5km);
      gapCodes = new Set(summary.townships_without_on_duty);
    }
    if (shortfalls) shortfallCodes = new Set(shortfalls.items.map((s) => s.area_code));
    drawTownships();
    drawGaps(summary, shortfalls);
  }

  function drawGaps(summary, shortfalls) {
    const list = document.querySelector("[data-testid=gap-list]");
    const total = townships.length;
    const gaps = summary ? summary.townships_without_on_duty : [];
    document.querySelector("[data-testid=gaps-summary]").textContent = zq.interpolate(
      t("%(gaps)s of %(total)s townships have nobody on duty."), { gaps: D.fmtNumber(gaps.length), total: D.fmtNumber(total) });
    const items = [];
    gaps.slice(0, 50).forEach((code) => items.push(gapItem(code, t("nobody on duty"), "gap")));
    if (shortfalls) {
      shortfalls.items.slice(0, 50).forEach((s) => items.push(gapItem(s.area_code,
        zq.interpolate(t("%(sector)s: %(actual)s of %(required)s liaisons"), { sector: sectorNames[s.sector] || s.sector, actual: s.actual, required: s.required }), "shortfall")));
    }
    list.replaceChildren(...items);
  }

  function gapItem(code, text, kind) {
    const feature = townships.find((f) => f.properties.code === code);
    return el("li", { "data-gap": kind, "data-area-code": code }, [el("a", {
      href: "#map",
      onclick: (e) => {
        e.preventDefault();
        if (feature) map.flyTo(ll(feature.geometry.coordinates[1], feature.geometry.coordinates[0]), 13);
      },
    }, [D.areaName(code), el("small", { text: text })])]);
  }

  async function loadAlerts() {
    const data = await fetchLayer("alerts?status=active&limit=100", true);
    if (!data) return;
    layers.alerts.clearLayers();
    data.items.filter((a) => a.lat !== null && a.lon !== null).forEach((a) => {
      const centre = ll(a.lat, a.lon);
      // The ring lets clicks through (a new alert may be raised inside it); its centre opens the board.
      layers.alerts.addLayer(L.circle(centre, { radius: a.radius_m || 300, color: "#c62828", weight: 2, dashArray: "6 4", fillOpacity: 0.08, interactive: false }));
      const dot = L.circleMarker(centre, { radius: 7, color: "#fff", weight: 2, fillColor: "#c62828", fillOpacity: 1, bubblingMouseEvents: false });
      dot.bindTooltip(el("div", {}, [el("strong", { text: a.title }), el("br"), t("Open the board")]));
      dot.on("click", () => D.go("#alerts/" + a.id));
      layers.alerts.addLayer(dot);
    });
  }

  /* ---- raising an alert ---- */
  const form = document.querySelector("[data-testid=alert-form]");
  const F = form.elements;
  const count = form.querySelector("[data-testid=alert-preview-count]");
  const errorBox = form.querySelector("[data-testid=alert-error]");
  const KINDS = [
    ["injured_person", "Injured person"], ["missing_person", "Missing person"], ["violent_crime", "Violent crime in progress"],
    ["fire", "Fire"], ["flood_rescue", "Flood / water rescue"], ["traffic_accident", "Traffic accident"],
    ["natural_hazard", "Weather or natural hazard"], ["other", "Other"],
  ];
  const SEVERITIES = [["severe", "Severe"], ["extreme", "Extreme"], ["moderate", "Moderate"], ["minor", "Minor"]];
  let titleTouched = false;

  function fillSelects() {
    F.kind.replaceChildren(...KINDS.map(([v, label]) => el("option", { value: v, text: t(label) })));
    F.severity.replaceChildren(...SEVERITIES.map(([v, label]) => el("option", { value: v, text: t(label) })));
  }

  /* Who an alert reaches: on duty within the radius of the picked point, or everyone in the chosen groups
   * (then the point, if any, only tells each recipient how far it is). The groups narrow either way, and
   * every kind chosen applies (dispatch.recipients): the form says so. */
  const chosen = (select) => Array.from(select.selectedOptions).map((o) => o.value);
  const byGroups = () => F.reach.value === "groups";

  function body() {
    const out = {
      kind: F.kind.value,
      severity: F.severity.value,
      title: F.title.value.trim() || F.kind.selectedOptions[0].textContent,
      description: F.description.value,
      needed: Number(F.needed.value),
      area_codes: chosen(F.area_codes),
      team_ids: chosen(F.team_ids).map(Number),
      sectors: chosen(F.sectors),
      roles: chosen(F.roles),
      on_shift: F.on_shift.checked,
    };
    if (pick.latlng) Object.assign(out, { lat: pick.latlng.lat, lon: pick.latlng.lng, datum: datum });
    if (!byGroups()) out.radius_m = Number(F.radius_m.value);
    return out;
  }

  /* The groups on offer: areas and teams where the user may raise alerts, sectors and member roles. Loaded once. */
  let groupsLoaded = null;
  function loadGroups() {
    if (groupsLoaded) return groupsLoaded;
    const units = D.config.alert_units || [];
    const mine = (code) => units.some((u) => code.startsWith(u.area_prefix));
    const option = (value, text) => el("option", { value: String(value), text: text });
    groupsLoaded = Promise.all([
      D.loadAreas().then((areas) => {
        F.area_codes.replaceChildren(...areas.filter((a) => mine(a.code))
          .map((a) => option(a.code, (a.level === "township" ? "\u3000" : "") + a.name)));
      }),
      zq.api("GET", "teams?limit=200").then((page) => {
        F.team_ids.replaceChildren(...page.items.filter((tm) => mine(tm.area_code))
          .map((tm) => option(tm.id, tm.name + " · " + tm.area_name)));
      }),
      zq.api("GET", "liaisons/sectors?limit=100").then((page) => {
        F.sectors.replaceChildren(...page.items.map((s) => option(s.code, (document.documentElement.lang || "zh-hans").startsWith("zh") ? s.name_zh : s.name_en)));
      }),
    ]).then(() => {
      F.roles.replaceChildren(...["volunteer", "liaison", "station_head"].map((r) => option(r, D.config.roles[r] || r)));
    }).catch((err) => { groupsLoaded = null; D.toast(D.errorText(err), "error"); });
    return groupsLoaded;
  }

  function showReach() {
    const groups = byGroups();
    form.querySelector("[data-testid=alert-radius]").hidden = groups;
    F.radius_m.disabled = groups;
    if (groups) form.querySelector("[data-testid=alert-filters]").open = true;
    if (pick && pick.circle) pick.circle.setStyle({ opacity: groups ? 0 : 1, fillOpacity: groups ? 0 : 0.12 });
  }

  function startAlert(latlng) {
    if (!D.config.can.raise_alerts) { D.toast(t("Your role cannot raise alerts."), "error"); return; }
    if (pick && pick.circle) { pick.circle.remove(); pick.marker.remove(); }
    const radius = Number(F.radius_m.value) || 2000;
    pick = {
      latlng: latlng,
      // One key for every try of this alert: a retry after a lost answer gets the first one back
      // instead of ringing everyone twice.
      key: zq.newKey(),
      circle: latlng ? L.circle(latlng, { radius: radius, color: "#c62828", weight: 2, fillOpacity: 0.12, interactive: false }).addTo(map) : null,
      marker: latlng ? L.circleMarker(latlng, { radius: 6, color: "#fff", weight: 2, fillColor: "#c62828", fillOpacity: 1, interactive: false }).addTo(map) : null,
    };
    if (!latlng) F.reach.value = "groups"; // no place: there is no radius to reach
    F.reach.forEach((r) => { r.disabled = !latlng && r.value === "radius"; });
    form.hidden = false;
    document.querySelector("[data-testid=alert-hint]").hidden = true;
    form.querySelector("[data-testid=alert-point]").textContent = latlng
      ? latlng.lat.toFixed(5) + ", " + latlng.lng.toFixed(5) : t("No place: the alert goes to the chosen groups.");
    if (!titleTouched) F.title.value = F.kind.selectedOptions[0].textContent;
    showReach();
    loadGroups();
    preview();
  }

  function discard() {
    if (pick) { if (pick.circle) { pick.circle.remove(); pick.marker.remove(); } pick = null; }
    form.hidden = true;
    errorBox.hidden = true;
    count.textContent = "–";
    count.dataset.state = "idle";
    document.querySelector("[data-testid=alert-hint]").hidden = false;
  }

  let previewSeq = 0;
  async function runPreview() {
    if (!pick) return;
    const mine = ++previewSeq;
    if (pick.circle) pick.circle.setRadius(Number(F.radius_m.value) || 0);
    count.dataset.state = "loading";
    try {
      const answer = await zq.api("POST", "alerts/preview", body());
      if (mine !== previewSeq) return; // a newer preview is on its way
      count.textContent = D.fmtNumber(answer.recipients);
      count.dataset.state = "ready";
      errorBox.hidden = true;
    } catch (err) {
      if (mine !== previewSeq) return;
      count.textContent = "–";
      count.dataset.state = "error";
      errorBox.textContent = D.errorText(err);
      errorBox.hidden = false;
    }
  }
  const preview = D.debounce(runPreview, 250);

  async function send(e) {
    e.preventDefault();
    if (!pick) return;
    const button = form.querySelector("[data-testid=alert-send]");
    button.disabled = true;
    try {
      const alert = await zq.api("POST", "alerts", body(), { headers: { "Idempotency-Key": pick.key } });
      D.toast(zq.interpolate(t("Alert sent to %(n)s people."), { n: D.fmtNumber(alert.recipients) }));
      discard();
      titleTouched = false;
      form.reset();
      form.querySelector("[data-testid=alert-filters]").open = false;
      loadAlerts();
      D.go("#alerts/" + alert.id);
    } catch (err) {
      errorBox.textContent = D.errorText(err);
      errorBox.hidden = false;
    } finally {
      button.disabled = false;
    }
  }

  fillSelects();
  form.addEventListener("input", (e) => {
    if (e.target.name === "title") titleTouched = true;
    if (e.target.name === "kind" && !titleTouched) F.title.value = F.kind.selectedOptions[0].textContent;
    if (pick && pick.circle) pick.circle.setRadius(Number(F.radius_m.value) || 0);
    if (e.target.name === "reach") showReach();
    preview();
  });
  document.querySelector("[data-testid=alert-groups]").addEventListener("click", () => startAlert(null));
  form.addEventListener("change", preview);
  form.addEventListener("submit", send);
  form.querySelector("[data-action=discard]").addEventListener("click", discard);
  if (!D.config.can.raise_alerts) document.querySelector("[data-testid=alert-hint]").textContent = t("Your role cannot raise alerts.");
  else document.querySelector("[data-testid=alert-groups]").hidden = false;

  D.view("map", {
    show() {
      if (!map) init();
      else { map.invalidateSize(); if (gridDirty) loadGrid(); }
    },
  });
  D.map = { get leaflet() { return map; }, toDisplay: ll, datum: datum, reload: loadAll, stop() { clearInterval(refreshTimer); } };
})();
