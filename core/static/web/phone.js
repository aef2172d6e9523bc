/* The phone app (/m/). Minimal shell: connection state. */
(function () {
  "use strict";
  const conn = document.querySelector("[data-testid=conn-state]");
  const LABELS = { connecting: "Connecting…", open: "Connected", reconnecting: "Reconnecting…", offline: "Offline", failed: "Disconnected", signed_out: "Signed out" };
  window.zqPhone = zq.socket("/ws/v1/phone", {
    onState(state) { conn.dataset.state = state; conn.textContent = zq.t(LABELS[state] || state); },
    onSignedOut() { location.assign("/login/?next=/m/"); },
  });
})();
