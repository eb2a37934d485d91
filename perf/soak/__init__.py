"""The soak test behind `manage.py soak` (`make soak`): mixed traffic from 16 clients against gunicorn for a long while.

config         goals, SoakConfig (the clients' mix, the processes beside gunicorn)
traffic        the tally of every request, and what each kind of client does in its loop
ledger_import  the admin's one web ledger import (upload, the check's job, confirm, the import's job)
run            soak: the database, the processes, the clients, the checks at the end
report         goals with PASS or MISS, and the Markdown report for docs/performance.md
"""

from .config import DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL, TASK_WORKER, SoakConfig
from .report import goals, passed, report
from .run import soak

__all__ = ["DEFAULT_DATABASE_URL", "DEFAULT_REDIS_URL", "TASK_WORKER", "SoakConfig", "goals", "passed", "report", "soak"]
