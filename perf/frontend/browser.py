"""One page opened in Debian's Chromium through Playwright on the slow mobile profile, cold and warm: the bytes
the browser transferred (CDP's Network events), its paints, LCP and when the charts were drawn."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from .config import (
    CPU_SLOWDOWN,
    DOWNLOAD_BITS_PER_SECOND,
    LATENCY_MS,
    PHONE,
    UPLOAD_BITS_PER_SECOND,
    FrontendError,
)

NAVIGATION_TIMEOUT_MS = 120_000
CHARTS_TIMEOUT_MS = 30_000
CHARTS_MARK = "charts-drawn"

# Installed in every document before its own scripts: keeps the latest LCP candidate, and, for pages that do not
# mark "charts-drawn" themselves, notes when every chart in view (every chart, when none is in view) first holds an
# ECharts instance whose canvas is not blank: checked every 50 ms, so late by up to 50 ms.
WATCH_SCRIPT = """
(() => {
  const watch = window.__frontendWatch = {lcp: null, chartsPolledAt: null, chartsInView: 0};
  try {
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) { watch.lcp = entry.startTime; }
    }).observe({type: "largest-contentful-paint", buffered: true});
  } catch (error) { /* no LCP in this browser: reported as missing */ }
  const sample = document.createElement("canvas");
  sample.width = sample.height = 16;
  function inView(element) {
    const box = element.getBoundingClientRect();
    return box.width > 0 && box.height > 0 && box.top < innerHeight && box.bottom > 0;
  }
  function drawn(element) {
    const canvas = element.hasAttribute("_echarts_instance_") && element.querySelector("canvas");
    if (!canvas || !canvas.width || !canvas.height) { return false; }
    const context = sample.getContext("2d", {willReadFrequently: true});
    context.clearRect(0, 0, 16, 16);
    context.drawImage(canvas, 0, 0, 16, 16);
    const pixels = context.getImageData(0, 0, 16, 16).data;
    for (let index = 3; index < pixels.length; index += 4) { if (pixels[index]) { return true; } }
    return false;
  }
  watch.inView = inView;
  watch.drawn = drawn;
  const timer = setInterval(() => {
    if (document.readyState === "loading") { return; }
    const all = Array.from(document.querySelectorAll("[data-chart]"));
    const charts = all.filter(inView);
    watch.chartsInView = charts.length;
    if (performance.getEntriesByName("%(mark)s", "mark").length) { clearInterval(timer); return; }
    // With none in view (a phone, charts below the fold) a page that draws them all at once is timed by all.
    if (all.length && (charts.length ? charts : all).every(drawn)) {
      watch.chartsPolledAt = performance.now();
      clearInterval(timer);
    }
  }, 50);
  setTimeout(() => clearInterval(timer), %(timeout)d);
})();
""" % {"mark": CHARTS_MARK, "timeout": CHARTS_TIMEOUT_MS + 10_000}

CHARTS_SETTLED = """() => {
  const watch = window.__frontendWatch;
  return performance.getEntriesByName("%(mark)s", "mark").length > 0 || watch.chartsPolledAt !== null
    || document.querySelectorAll("[data-chart]").length === 0;
}""" % {"mark": CHARTS_MARK}

# After the visit: the first chart out of view scrolled to the middle of the screen, as a reader scrolls down to
# it; how long until it is drawn (ms), or null when every chart was in view or it is not drawn within 10 s.
SCROLL_TO_CHART = """() => new Promise((resolve) => {
  const watch = window.__frontendWatch;
  const chart = Array.from(document.querySelectorAll("[data-chart]")).find((element) => !watch.inView(element));
  if (!chart) { resolve(null); return; }
  chart.scrollIntoView({block: "center"});
  const start = performance.now();
  (function check() {
    const waited = performance.now() - start;
    if (watch.drawn(chart)) { resolve(waited); } else if (waited > 10000) { resolve(null); } else { setTimeout(check, 20); }
  })();
})"""

READ_METRICS = """() => {
  const paints = {};
  for (const entry of performance.getEntriesByType("paint")) { paints[entry.name] = entry.startTime; }
  const mark = performance.getEntriesByName("%(mark)s", "mark")[0];
  const watch = window.__frontendWatch;
  const navigation = performance.getEntriesByType("navigation")[0];
  return {
    first_paint: paints["first-paint"] ?? null,
    first_contentful_paint: paints["first-contentful-paint"] ?? null,
    lcp: watch.lcp,
    charts: document.querySelectorAll("[data-chart]").length,
    charts_in_view: watch.chartsInView,
    charts_mark: mark ? mark.startTime : null,
    charts_polled: watch.chartsPolledAt,
    dom_content_loaded: navigation ? navigation.domContentLoadedEventEnd : null,
    load: navigation ? navigation.loadEventEnd : null,
  };
}""" % {"mark": CHARTS_MARK}


@dataclass
class NetworkRecorder:
    """The requests of one visit, from CDP's Network domain: type, status, cache, Cache-Control, bytes."""

    requests: dict[str, dict] = field(default_factory=dict)
    recording: bool = False

    def attach(self, cdp) -> None:
        cdp.on("Network.requestWillBeSent", self._sent)
        cdp.on("Network.requestServedFromCache", self._from_cache)
        cdp.on("Network.responseReceived", self._response)
        cdp.on("Network.loadingFinished", self._finished)
        cdp.on("Network.loadingFailed", self._failed)

    def start(self) -> None:
        self.requests, self.recording = {}, True

    def stop(self) -> list[dict]:
        self.recording = False
        return list(self.requests.values())

    def _request(self, event: dict) -> dict | None:
        return self.requests.get(event["requestId"]) if self.recording else None

    def _sent(self, event: dict) -> None:
        # data: URLs (Bootstrap's icons) are part of a style sheet already transferred: not requests.
        if self.recording and not event["request"]["url"].startswith("data:"):
            self.requests[event["requestId"]] = {
                "url": event["request"]["url"], "type": event.get("type", "Other"), "status": None,
                "from_cache": False, "cache_control": None, "encoding": None, "bytes": 0, "finished": False,
                "failed": None,
            }

    def _from_cache(self, event: dict) -> None:
        if request := self._request(event):
            request["from_cache"] = True

    def _response(self, event: dict) -> None:
        if request := self._request(event):
            response = event["response"]
            headers = {name.lower(): value for name, value in response.get("headers", {}).items()}
            request.update(
                type=event.get("type", request["type"]), status=response.get("status"),
                cache_control=headers.get("cache-control"), encoding=headers.get("content-encoding"),
                from_cache=request["from_cache"] or bool(response.get("fromDiskCache"))
                or bool(response.get("fromPrefetchCache")) or bool(response.get("fromServiceWorker")),
            )

    def _finished(self, event: dict) -> None:
        if request := self._request(event):
            request.update(finished=True, bytes=int(event.get("encodedDataLength") or 0))

    def _failed(self, event: dict) -> None:
        if request := self._request(event):
            request["failed"] = event.get("errorText") or "failed"


def summarize(requests: list[dict]) -> dict:
    """The visit's bytes (all, and by resource type) and requests (over the network, from the cache)."""
    by_type: dict[str, int] = defaultdict(int)
    for request in requests:
        by_type[request["type"]] += request["bytes"]
    network = [request for request in requests if not request["from_cache"]]
    return {
        "bytes": sum(request["bytes"] for request in requests),
        "bytes_by_type": dict(sorted(by_type.items())),
        "requests": len(requests),
        "network_requests": len(network),
        "cached_requests": len(requests) - len(network),
        # What a repeat visit should not fetch again: anything but the page itself.
        "network_beyond_document": sorted(request["url"] for request in network if request["type"] != "Document"),
        "failed": sorted(f"{request['url']}: {request['failed']}" for request in requests if request["failed"]),
        # How the static files travelled: br (whitenoise with Brotli installed), gzip, or as they are.
        "static_encodings": sorted({
            request["encoding"] or "identity" for request in requests
            if "/static/" in request["url"] and not request["from_cache"] and request["status"] == 200
        }),
        "static_cache_control": sorted({
            request["cache_control"] or "" for request in requests
            if "/static/" in request["url"] and not request["from_cache"] and request["status"] == 200
        }),
    }


def visit(page, recorder: NetworkRecorder, url: str) -> dict:
    """Open URL in PAGE; return its figures once loaded, its charts drawn (or given up) and the network quiet."""
    recorder.start()
    try:
        response = page.goto(url, wait_until="load", timeout=NAVIGATION_TIMEOUT_MS)
    except PlaywrightError as error:
        recorder.stop()
        raise FrontendError(_("Opening %(url)s failed: %(error)s") % {"url": url, "error": error}) from None
    if response is None or response.status != 200 or response.url != url:
        recorder.stop()
        raise FrontendError(_("%(url)s answered HTTP %(status)s at %(final)s, not the page (signed out?)") % {
            "url": url, "status": response.status if response else "-", "final": response.url if response else "-"})
    charts_timed_out = False
    try:
        page.wait_for_function(CHARTS_SETTLED, timeout=CHARTS_TIMEOUT_MS, polling=100)
    except PlaywrightTimeout:
        charts_timed_out = True
    try:
        page.wait_for_load_state("networkidle", timeout=NAVIGATION_TIMEOUT_MS)
    except PlaywrightTimeout:
        pass
    metrics = page.evaluate(READ_METRICS)
    figures = summarize(recorder.stop())
    scrolled_chart_ms = page.evaluate(SCROLL_TO_CHART) if metrics["charts"] else None
    charts_ms = metrics["charts_mark"] if metrics["charts_mark"] is not None else metrics["charts_polled"]
    return {
        **figures,
        **{key: metrics[key] for key in ("first_paint", "first_contentful_paint", "lcp", "charts", "charts_in_view",
                                         "dom_content_loaded", "load")},
        "charts_drawn": charts_ms,
        "scrolled_chart_drawn": scrolled_chart_ms,
        "charts_source": "mark" if metrics["charts_mark"] is not None else ("polled" if charts_ms is not None else None),
        "charts_timed_out": charts_timed_out and metrics["charts"] > 0,
    }


def throttle(cdp) -> None:
    """The slow mobile profile on this page's target: 150 ms round trip, 1.6 Mbit/s down, 750 kbit/s up, CPU 4×."""
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {
        "offline": False,
        "latency": LATENCY_MS,
        "downloadThroughput": DOWNLOAD_BITS_PER_SECOND / 8,
        "uploadThroughput": UPLOAD_BITS_PER_SECOND / 8,
    })
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})


def measure_page(browser, site_url: str, path: str, cookies: list[dict]) -> dict:
    """A first visit with an empty cache (a new context, signed in by its cookies), then a repeat visit in it."""
    context = browser.new_context(**PHONE)
    try:
        context.add_cookies(cookies)
        context.add_init_script(WATCH_SCRIPT)
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        recorder = NetworkRecorder()
        recorder.attach(cdp)
        throttle(cdp)
        cold = visit(page, recorder, site_url + path)
        # Away and back, as a user who comes again: the repeat visit is a new navigation, not a reload.
        page.goto("about:blank")
        warm = visit(page, recorder, site_url + path)
    finally:
        context.close()
    return {"cold": cold, "warm": warm}
