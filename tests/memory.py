"""Running a piece of the product in a fresh process and reading its peak memory, for the bounded-input tests."""

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The body runs after django.setup() in Chinese, with ARGS (the JSON given) defined; it sets RESULT.
SCRIPT = """
import json, sys
import django
django.setup()
from django.utils import translation
translation.activate("zh-hans")


def peak_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024


ARGS = json.loads(sys.argv[1])
BEFORE_MB = peak_mb()
RESULT = None
{body}
print(json.dumps({{"result": RESULT, "before_mb": BEFORE_MB, "peak_mb": peak_mb()}}))
"""


@dataclass
class Measured:
    result: object
    before_mb: float  # the process's peak once Django and the product are loaded
    peak_mb: float  # its peak at the end: VmHWM, the most resident memory it ever held


def measured_run(body: str, **args) -> Measured:
    """Run BODY in a new Python process with the test settings; return its RESULT and peak memory in MB."""
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "pinghu.test_settings"}
    finished = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(body=body), json.dumps(args)],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120,
    )
    assert finished.returncode == 0, finished.stderr
    report = json.loads(finished.stdout.strip().splitlines()[-1])
    return Measured(report["result"], report["before_mb"], report["peak_mb"])
