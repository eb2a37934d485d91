"""The soak's clients: what each kind does in a loop, and the tally of every request they make."""

import io
import queue
import random
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from django.utils import timezone
from PIL import Image

from ..bench.client import HttpClient, Response
from ..bench.measure import form_error
from ..bench.stats import percentile
from .config import PHOTOS, READING, RECORDING

STAGE_SELECTED = re.compile(r'<select name="stage"[^>]*>.*?<option value="(\d+)" selected', re.S)
DELETE_LINK = re.compile(r'/events/(\d+)/delete/')
VERSION_FIELD = re.compile(r'name="version" value="(\d+)"')


@dataclass
class LabelTally:
    latencies_ms: list[float] = field(default_factory=list)
    warmup_requests: int = 0
    errors: Counter = field(default_factory=Counter)


class Tally:
    """Every request of every client: its latency by label once measuring, and anything unexpected it got."""

    def __init__(self):
        self.lock = threading.Lock()
        self.measuring = False
        self.labels: dict[tuple[str, str], LabelTally] = {}
        # What the recorders saved and removed, to check against the events stored at the end.
        self.counts: Counter = Counter()

    def add(self, kind: str, label: str, wall_ms: float, problem: str | None) -> None:
        with self.lock:
            entry = self.labels.setdefault((kind, label), LabelTally())
            if problem is not None:
                entry.errors[problem] += 1
            elif self.measuring:
                entry.latencies_ms.append(wall_ms)
            else:
                entry.warmup_requests += 1

    def count(self, what: str) -> None:
        with self.lock:
            self.counts[what] += 1

    def errors(self) -> int:
        with self.lock:
            return sum(sum(entry.errors.values()) for entry in self.labels.values())


def step(client: HttpClient, tally: Tally, kind: str, label: str, method: str, path: str, *,
         expect: int, **kwargs) -> Response | None:
    """Make one request and tally it; return the response when it has the EXPECTed status, else None."""
    started = time.perf_counter()
    try:
        response = client.request(method, path, **kwargs)
    except OSError as error:
        tally.add(kind, label, (time.perf_counter() - started) * 1000, f"{type(error).__name__} on {method} {path}")
        return None
    if response.status != expect:
        detail = form_error(response.body) if response.status == 200 else response.headers.get("Location", "")
        tally.add(kind, label, response.wall_ms, f"HTTP {response.status} on {method} {path} {detail}".strip())
        return None
    tally.add(kind, label, response.wall_ms, None)
    return response


class Pacer:
    """A client's pause between steps (random, so clients drift apart) and whether to go on."""

    def __init__(self, stop: threading.Event, think_seconds: float, seed: int):
        self.stop, self.think_seconds, self.random = stop, think_seconds, random.Random(seed)

    def pause(self) -> bool:
        """Wait a little; return False once the run is over."""
        return not self.stop.wait(self.random.uniform(0, 2 * self.think_seconds))


def read_pages(client: HttpClient, tally: Tally, pacer: Pacer, paths: list[tuple[str, str]], *,
               until: threading.Event | None = None) -> None:
    """A leader: open each page of PATHS (label, path) in turn until the run (or UNTIL) is over."""
    index = pacer.random.randrange(len(paths))
    while pacer.pause() and not (until is not None and until.is_set()):
        label, path = paths[index % len(paths)]
        step(client, tally, READING, label, "GET", path, expect=200)
        index += 1


def record_and_correct(client: HttpClient, tally: Tally, pacer: Pacer, subjects: queue.Queue, *, marker: str,
                       photos: list[bytes] = ()) -> None:
    """An official: record the next stage of an enterprise (with PHOTOS when given), then delete it as a slip.

    The enterprises are shared through SUBJECTS: a client holds one at a time, so two
    never race on the same stage. Recording and deleting keep the data the size it was,
    however long the run, and move the month's figures up and down.
    """
    kind = PHOTOS if photos else RECORDING
    while pacer.pause():
        try:
            enterprise = subjects.get(timeout=1)
        except queue.Empty:
            continue
        try:
            keep = _record_and_delete(client, tally, pacer, enterprise, kind=kind, marker=marker, photos=photos)
        finally:
            # An enterprise with no next stage (or whose page failed) is not offered again.
            if keep:
                subjects.put(enterprise)


def _record_and_delete(client, tally, pacer, enterprise: int, *, kind: str, marker: str, photos) -> bool:
    form_path = f"/enterprises/{enterprise}/events/new/"
    form_page = step(client, tally, kind, "record form", "GET", form_path, expect=200)
    stage = STAGE_SELECTED.search(form_page.body.decode()) if form_page else None
    if stage is None:
        return False
    pacer.pause()
    form = {"stage": stage.group(1), "occurred_on": timezone.localdate().isoformat(), "note": marker, "phase": ""}
    files = [("photos", f"photo-{index}.jpg", content) for index, content in enumerate(photos)]
    label = "record with photos" if photos else "record"
    if step(client, tally, kind, label, "POST", form_path, expect=302, form=form, files=files) is None:
        return True
    tally.count("recorded")
    timeline = step(client, tally, kind, "enterprise page", "GET", f"/enterprises/{enterprise}/", expect=200)
    if timeline is None:
        return True
    # The newest event is the one just recorded: this client alone holds the enterprise.
    events = [int(pk) for pk in DELETE_LINK.findall(timeline.body.decode())]
    if not events:
        tally.add(kind, "enterprise page", timeline.wall_ms, f"no event to delete on /enterprises/{enterprise}/")
        return True
    event = max(events)
    pacer.pause()
    delete_path = f"/events/{event}/delete/"
    confirm = step(client, tally, kind, "delete form", "GET", delete_path, expect=200)
    version = VERSION_FIELD.search(confirm.body.decode()) if confirm else None
    if version is None:
        return True
    if step(client, tally, kind, "delete", "POST", delete_path, expect=302,
            form={"version": version.group(1), "note": ""}) is not None:
        tally.count("deleted")
    return True


def small_jpeg(seed: int, size: tuple[int, int] = (640, 480)) -> bytes:
    """Return a small JPEG photo (a few tens of KB) with noise, so that no two are the same file."""
    rng = random.Random(seed)
    image = Image.new("RGB", (size[0] // 8, size[1] // 8))
    image.putdata([(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _pixel in range(image.width * image.height)])
    buffer = io.BytesIO()
    image.resize(size).save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()


def percentile_table(tally: Tally) -> list[dict]:
    """Return per kind and label the requests measured, errors, p50 and p95 (ms)."""
    table = []
    with tally.lock:
        for (kind, label), entry in tally.labels.items():
            samples = entry.latencies_ms
            table.append({
                "kind": kind,
                "label": label,
                "requests": len(samples),
                "warmup_requests": entry.warmup_requests,
                "errors": sum(entry.errors.values()),
                "error_kinds": dict(entry.errors.most_common(5)),
                "p50_ms": percentile(samples, 0.50) if samples else None,
                "p95_ms": percentile(samples, 0.95) if samples else None,
            })
    return table


def kind_table(tally: Tally) -> dict[str, dict]:
    """Return per kind of traffic the requests measured, errors, p50 and p95 (ms) over all its requests."""
    samples: dict[str, list[float]] = {}
    errors: Counter = Counter()
    with tally.lock:
        for (kind, _label), entry in tally.labels.items():
            samples.setdefault(kind, []).extend(entry.latencies_ms)
            errors[kind] += sum(entry.errors.values())
    return {
        kind: {"requests": len(values), "errors": errors[kind],
               "p50_ms": percentile(values, 0.50) if values else None,
               "p95_ms": percentile(values, 0.95) if values else None}
        for kind, values in samples.items()
    }
