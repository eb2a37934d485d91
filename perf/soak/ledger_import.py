"""The soak's one ledger import: an admin uploads a generated ledger on /ledger/import/ and confirms it.

As a browser does: the upload is answered with the job's page, whose progress bar (the
fragment htmx polls) runs while the task worker checks the ledger; the preview is
confirmed on the job's page, and its progress is polled again until the import ends.
"""

import re
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from ..bench.client import HttpClient
from ..management.commands.bench_import import write_bench_ledger
from .config import IMPORT
from .traffic import Tally, step

IMPORT_PAGE = "/ledger/import/"
# How often the job's progress is polled (the page's htmx polls every second), and for how long at most.
POLL_SECONDS = 1.0
JOB_TIMEOUT_SECONDS = 600
# The job page's status: <span data-job-status="previewed">.
JOB_STATUS = re.compile(rb'data-job-status="([a-z]+)"')
UNFINISHED = ("queued", "running")
# The generated ledger's enterprises are named 压测企业000000…; the run counts them at the end.
ENTERPRISE_NAME_PREFIX = "压测企业"


def ledger_workbook(enterprises: int) -> bytes:
    """Return an .xlsx ledger of ENTERPRISES new enterprises (eight per site, over the demo's towns)."""
    with tempfile.TemporaryDirectory(prefix="soak-ledger-") as folder:
        path = Path(folder) / "ledger.xlsx"
        write_bench_ledger(path, enterprises)
        return path.read_bytes()


class WebLedgerImport:
    """An admin importing WORKBOOK through the web page, as a browser does; `run` returns what happened."""

    def __init__(self, workbook: bytes):
        self.workbook = workbook

    def run(self, client: HttpClient, tally: Tally) -> dict:
        started = time.perf_counter()
        outcome = {"imported": False, "seconds": None}
        if step(client, tally, IMPORT, "import page", "GET", IMPORT_PAGE, expect=200) is None:
            return outcome
        uploaded = step(client, tally, IMPORT, "import upload", "POST", IMPORT_PAGE, expect=302,
                        form={}, files=[("workbook", "ledger.xlsx", self.workbook)])
        if uploaded is None:  # the upload form came back: the ledger was refused (its problems are on the page)
            return outcome
        job_page = urlsplit(uploaded.headers["Location"]).path
        if self.wait(client, tally, job_page, expect="previewed") is None:
            return outcome
        if step(client, tally, IMPORT, "import confirm", "POST", job_page, expect=302, form={"confirm": "1"}) is None:
            return outcome
        if self.wait(client, tally, job_page, expect="succeeded") is None:
            return outcome
        return {"imported": True, "seconds": time.perf_counter() - started}

    @staticmethod
    def wait(client: HttpClient, tally: Tally, job_page: str, *, expect: str) -> str | None:
        """Poll the job's progress until it ends, then read its page; return the status when it is EXPECT, else None."""
        deadline = time.perf_counter() + JOB_TIMEOUT_SECONDS
        while True:
            progress = step(client, tally, IMPORT, "import progress", "GET", job_page + "progress/", expect=200)
            if progress is None:
                return None
            if progress.headers.get("HX-Refresh"):  # the job has ended: htmx reloads the page
                break
            if time.perf_counter() > deadline:
                tally.add(IMPORT, "import progress", 0, f"the job did not end in {JOB_TIMEOUT_SECONDS} s")
                return None
            time.sleep(POLL_SECONDS)
        page = step(client, tally, IMPORT, "import job page", "GET", job_page, expect=200)
        if page is None:
            return None
        found = JOB_STATUS.search(page.body)
        status = found.group(1).decode() if found else "unknown"
        if status != expect:
            tally.add(IMPORT, "import job page", page.wall_ms, f"the job ended {status}, not {expect}")
            return None
        return status
