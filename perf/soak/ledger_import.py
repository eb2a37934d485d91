"""The soak's one ledger import: an admin uploads a generated ledger on /ledger/import/ and confirms it.

This drives the synchronous flow (upload → preview page → confirm → redirect). When
the import runs as a background task, only `WebLedgerImport.run` changes: upload →
poll the job page until the preview → confirm → poll until the result.
"""

import tempfile
import time
from pathlib import Path

from ..bench.client import HttpClient
from ..management.commands.bench_import import write_bench_ledger
from .config import IMPORT
from .traffic import Tally, step

IMPORT_PAGE = "/ledger/import/"
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
        preview = step(client, tally, IMPORT, "import upload → preview", "POST", IMPORT_PAGE, expect=200,
                       form={}, files=[("workbook", "ledger.xlsx", self.workbook)])
        if preview is None:
            return outcome
        if b'name="confirm"' not in preview.body:
            # The upload form came back: the ledger was refused (its problems are on the page).
            tally.add(IMPORT, "import upload → preview", preview.wall_ms, "the preview refused the ledger")
            return outcome
        if step(client, tally, IMPORT, "import confirm", "POST", IMPORT_PAGE, expect=302, form={"confirm": "1"}) is None:
            return outcome
        return {"imported": True, "seconds": time.perf_counter() - started}
