/* The phone app's shared bits: the boot data, what it keeps on the device (localStorage,
 * per login, so a shared phone never shows one person's alerts to another), toasts and
 * small formatting helpers. Loaded before the other phone-*.js scripts. */
(function (global) {
  "use strict";
  const bootNode = document.getElementById("zq-boot");
  const boot = bootNode ? JSON.parse(bootNode.textContent) : {};
  const prefix = "zq.phone." + (boot.user_id || "anon") + ".";

  const store = {
    get(name, fallback) {
      try {
        const raw = localStorage.getItem(prefix + name);
        return raw === null ? fallback : JSON.parse(raw);
      } catch (err) {
        return fallback;
      }
    },
    // Everything this login kept on the device, and its socket position (zq.seq.*).
    clear() {
      Object.keys(localStorage)
        .filter((k) => k.startsWith(prefix) || (k.startsWith("zq.seq.") && k.endsWith("." + boot.user_id)))
        .forEach((k) => localStorage.removeItem(k));
    },
    set(name, value) {
      try {
        localStorage.setItem(prefix + name, JSON.stringify(value));
      } catch (err) {
        /* storage full or disabled: the app still works, only not offline */
      }
    },
  };

  let toastTimer = null;
  function toast(message) {
    const node = document.querySelector("[data-testid=toast]");
    if (!node) return;
    node.textContent = message;
    node.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { node.hidden = true; }, 6000);
  }

  const lang = () => document.documentElement.lang || "zh-hans";
  function formatTime(iso, withDate) {
    if (!iso) return "";
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return "";
    const opts = withDate
      ? { month: "numeric", day: "numeric", weekday: "short", hour: "2-digit", minute: "2-digit", timeZone: zq.ZONE }
      : { hour: "2-digit", minute: "2-digit", timeZone: zq.ZONE };
    return d.toLocaleString(lang() === "en" ? "en-GB" : "zh-CN", opts);
  }

  function formatDistance(metres) {
    if (metres === null || metres === undefined) return "";
    if (metres < 1000) return zq.interpolate(zq.t("%(n)s m"), { n: Math.round(metres) });
    const km = metres < 10000 ? (metres / 1000).toFixed(1) : String(Math.round(metres / 1000));
    return zq.interpolate(zq.t("%(n)s km"), { n: km });
  }

  // From `bearing_deg` (0 = north, clockwise), one of the eight compass points.
  const COMPASS = ["north", "north-east", "east", "south-east", "south", "south-west", "west", "north-west"];
  function compass(bearing) {
    if (bearing === null || bearing === undefined) return "";
    return zq.t(COMPASS[Math.round((((bearing % 360) + 360) % 360) / 45) % 8]);
  }

  // Great-circle distance (m) and initial bearing (deg) from a to b, for when the server had no fix of ours.
  function distanceBearing(aLat, aLon, bLat, bLon) {
    const rad = Math.PI / 180;
    const p1 = aLat * rad, p2 = bLat * rad, dp = (bLat - aLat) * rad, dl = (bLon - aLon) * rad;
    const h = Math.sin(dp / 2) ** 2 + Math.cos(p1) * Math.cos(p2) * Math.sin(dl / 2) ** 2;
    const distance = 2 * 6371008.8 * Math.asin(Math.min(1, Math.sqrt(h)));
    const y = Math.sin(dl) * Math.cos(p2);
    const x = Math.cos(p1) * Math.sin(p2) - Math.sin(p1) * Math.cos(p2) * Math.cos(dl);
    const bearing = ((Math.atan2(y, x) / rad) + 360) % 360;
    return { distance: distance, bearing: bearing };
  }

  function showError(node, err) {
    if (!node) return;
    if (!err) { node.hidden = true; node.textContent = ""; return; }
    node.textContent = err.status === 0 ? zq.t("No connection. Try again when you are back online.") : err.message;
    node.hidden = false;
  }

  global.ZQP = { boot: boot, store: store, toast: toast, formatTime: formatTime, formatDistance: formatDistance,
    compass: compass, distanceBearing: distanceBearing, showError: showError };
})(window);
