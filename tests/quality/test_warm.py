"""pinghu/warm.py: a server process compiles every template before its first request and freezes its long-lived
objects out of the garbage collector's full passes, and still frees what requests leave behind."""

import json
import os
import subprocess
import sys

from django.conf import settings

from pinghu.warm import compile_templates, template_names

PROBE = """
import gc, json
before = len(gc.get_objects())
import pinghu.wsgi
frozen = gc.get_freeze_count()
walked = len(gc.get_objects())
class Node:
    pass
first, second = Node(), Node()
first.other, second.other = second, first
del first, second
freed = gc.collect()
print(json.dumps({"frozen": frozen, "walked": walked, "freed": freed}))
"""


def _probe(freeze: str) -> dict:
    environment = {**os.environ, "CLEARANCE_GC_FREEZE": freeze, "DJANGO_SETTINGS_MODULE": "pinghu.settings"}
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=settings.BASE_DIR, env=environment, capture_output=True,
                            text=True, timeout=120, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_every_template_of_the_project_compiles_at_start():
    names = template_names()
    assert "clearance/dashboard.html" in names and "django_tables2/bootstrap5.html" in names
    own = [failure for failure in compile_templates() if (settings.BASE_DIR / "templates" / failure.split(":")[0]).exists()]
    assert own == []


def test_a_server_process_freezes_its_long_lived_objects_and_still_frees_new_garbage():
    frozen = _probe("1")
    plain = _probe("0")
    assert plain["frozen"] == 0
    # A full collection walks the objects alive after start: nearly all of them are frozen.
    assert frozen["frozen"] > 50_000
    assert frozen["walked"] * 5 < plain["walked"]
    # A cycle made after the freeze is still collected.
    assert frozen["freed"] >= 2 and plain["freed"] >= 2
