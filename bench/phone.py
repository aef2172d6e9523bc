"""The phone app on a weak connection: first load, and from raising an alert to the ringing screen.

Starts one `manage.py serve` process (port from --port, default 25080) on a freshly migrated and
seeded SQLite file, then drives Debian's Chromium (phone viewport, loopback only):

1. first load of /m/ after sign-in, emulating a weak mobile link (400 ms RTT, 400 kbit/s down,
   200 kbit/s up; CPU slowed 4x like a cheap phone): bytes over the wire, time until the page
   is usable (DOMContentLoaded) and until its socket is open;
2. the same page reloaded (the service worker's cache);
3. --alerts alerts raised one after another through the API next to the on-duty phone: time from
   sending POST /api/v1/alerts until the full-screen alert is in the page (the page stamps the
   moment; both clocks are this machine's).

Usage: flock /work/bench.lock .venv/bin/python bench/phone.py [--alerts 20] [--port 25080]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings")

import django  # noqa: E402

django.setup()  # the browser-test harness (launch flags, loopback-only route) imports Django models

from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS, PASSWORD, PHONE, _loopback_only  # noqa: E402

SHANGYU = (35.853430, 114.166697)
WEAK = {"offline": False, "latency": 400, "downloadThroughput": 400_000 / 8, "uploadThroughput": 200_000 / 8}
STAMP = """() => new Promise((resolve) => {
  setTimeout(() => resolve(null), 20000); // a missed alert is reported, not waited for
  const seen = () => document.querySelector("[data-testid=alert-screen][data-status=active]:not([data-seen])");
  const done = (node) => { node.dataset.seen = "1"; resolve(performance.timeOrigin + performance.now()); };
  if (seen()) return done(seen());
  new MutationObserver((_, obs) => { const n = seen(); if (n) { obs.disconnect(); done(n); } })
    .observe(document.body, { childList: true, subtree: true, attributes: true });
})"""


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, timeout=600)


def _stop(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # so `finally` stops the server (it runs in its own session)


def main() -> None:
    signal.signal(signal.SIGTERM, _stop)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--alerts", type=int, default=20)
    parser.add_argument("--port", type=int, default=25080)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    workdir = tempfile.mkdtemp(prefix="zq-phone-bench-")
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{workdir}/bench.sqlite3", "ZHENGQI_DEMO_PASSWORD": PASSWORD,
           "ZHENGQI_JOBS_IN_PROCESS": "true", "LOG_LEVEL": "WARNING"}  # fmt: skip
    env.pop("REDIS_URL", None)
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "seed_demo", "--seed", "7")
    manage(env, "build_catalogues")
    base = f"http://127.0.0.1:{args.port}"
    server = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--host", "127.0.0.1", "--port", str(args.port)],
        cwd=ROOT, env=env, start_new_session=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(100):
            try:
                requests.get(base + "/login/", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        coordinator = requests.post(
            base + "/api/v1/auth/token", json={"username": "county_410611", "password": PASSWORD}, timeout=10
        ).json()["token"]
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            context = browser.new_context(
                **PHONE, locale="zh-CN", timezone_id="Asia/Shanghai", permissions=["geolocation"],
                geolocation={"latitude": SHANGYU[0], "longitude": SHANGYU[1], "accuracy": 10},
            )  # fmt: skip
            context.route("**/*", _loopback_only)
            page = context.new_page()
            page.goto(base + "/login/")
            page.fill("input[name=username]", "volunteer_demo")
            page.fill("input[name=password]", PASSWORD)
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.send("Network.emulateNetworkConditions", WEAK)
            cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
            for label in ("first load (weak link, CPU/4)", "reload (service worker cache)"):
                started = time.time()
                if label.startswith("first"):
                    page.click("[data-testid=login-submit]")
                    page.wait_for_url("**/m/")
                else:
                    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=60_000)
                    page.reload()
                page.wait_for_selector("[data-testid=conn-state][data-state=open]", timeout=120_000)
                opened = time.time() - started
                timing = page.evaluate(
                    """() => {
                      const nav = performance.getEntriesByType("navigation")[0];
                      const res = performance.getEntriesByType("resource");
                      const bytes = nav.transferSize + res.reduce((s, r) => s + r.transferSize, 0);
                      return {dcl: nav.domContentLoadedEventEnd, bytes: bytes};
                    }"""
                )  # fmt: skip
                print(f"{label}: {timing['bytes'] / 1024:.1f} KiB over the wire, DOMContentLoaded "
                      f"{timing['dcl'] / 1000:.2f} s, socket open after {opened:.2f} s")  # fmt: skip
            cdp.send("Network.emulateNetworkConditions", {**WEAK, "latency": 0, "downloadThroughput": -1,
                                                         "uploadThroughput": -1})  # fmt: skip
            cdp.send("Emulation.setCPUThrottlingRate", {"rate": 1})
            page.click("[data-testid=duty-toggle]")
            page.wait_for_selector("[data-testid=duty-status]:has-text('上报')", timeout=30_000)
            print("on duty", page.text_content("[data-testid=duty-status]"), flush=True)
            latencies: list[float] = []
            missed = 0
            for i in range(args.alerts):
                page.evaluate("() => { window.__shown = (" + STAMP + ")(); }")  # not awaited here
                sent = time.time()
                body = {"kind": "other", "severity": "minor", "title": f"测试 {i}", "lat": SHANGYU[0],
                        "lon": SHANGYU[1] + 0.002, "radius_m": 500, "needed": 1}  # fmt: skip
                response = requests.post(base + "/api/v1/alerts", json=body, timeout=10,
                                         headers={"Authorization": f"Bearer {coordinator}"})  # fmt: skip
                assert response.status_code == 201, response.text
                shown = page.evaluate("window.__shown")
                if shown is None:
                    missed += 1
                    continue
                latencies.append(shown / 1000 - sent)
                page.click("[data-testid=alert-close]")
            latencies.sort()
            median = statistics.median(latencies) * 1000
            worst = latencies[-1] * 1000
            summary = f"median {median:.0f} ms, max {worst:.0f} ms; missed {missed}"
            print(f"raise -> ringing screen, {len(latencies)} alerts: {summary}")
            browser.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
