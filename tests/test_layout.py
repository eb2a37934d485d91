"""The code's layout: the ledger's modules import in any order, and clearance never needs the perf app."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LEDGER_MODULES = ("clearance.ledger.write", "clearance.ledger.bulletin", "clearance.ledger.plan", "clearance.ledger.parse",
                  "clearance.ledger.read", "clearance.ledger.export", "clearance.ledger.columns", "clearance.bulk")


@pytest.mark.parametrize("first", LEDGER_MODULES)
def test_each_ledger_module_imports_first_without_a_cycle(first):
    code = f"import django; django.setup(); import {first}; " + "; ".join(f"import {name}" for name in LEDGER_MODULES)
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                            env={"DJANGO_SETTINGS_MODULE": "pinghu.test_settings", "PATH": "/usr/bin:/bin"})

    assert result.returncode == 0, result.stderr[-2000:]


def test_clearance_never_imports_perf():
    imports = [
        f"{path.relative_to(ROOT)}: {line.strip()}"
        for path in sorted((ROOT / "clearance").rglob("*.py"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.lstrip().startswith(("import perf", "from perf"))
    ]

    assert imports == []
