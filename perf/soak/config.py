"""The soak run's settings: its goals, the mix of clients (SoakConfig) and the processes started beside gunicorn."""

from collections.abc import Callable
from dataclasses import dataclass, field

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/pinghu_soak"
# A Redis database of its own, and a key prefix per run (SoakConfig.cache_prefix), so that nothing
# another process keeps in Redis is read or overwritten.
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/12"

# The goals issue 13 sets; the report says PASS or MISS against each.
GOAL_ERRORS = 0
GOAL_MEMORY_GROWTH = 0.20

# Traffic kinds, in the report's order.
READING, RECORDING, PHOTOS, IMPORT = "reading", "recording", "photos", "import"
KIND_LABELS = {
    READING: "leaders reading",
    RECORDING: "officials recording",
    PHOTOS: "officials recording with photos",
    IMPORT: "admin importing a ledger",
}


# The background task worker (django-tasks' database backend), as production runs it beside gunicorn.
TASK_WORKER = ("db_worker",)


@dataclass
class SoakConfig:
    """How long, with which clients, where."""

    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str = DEFAULT_REDIS_URL
    seconds: float = 30 * 60
    warmup_seconds: float = 30.0
    readers: int = 8
    recorders: int = 4
    photographers: int = 3
    # The one admin client: it imports the ledger once, then reads like a leader.
    importers: int = 1
    import_enterprises: int = 2000
    # When the import starts, as a fraction of the measured time.
    import_at: float = 0.1
    # Mean pause between two steps of one client (drawn between 0 and twice this), in seconds.
    think_seconds: float = 0.2
    photos_per_upload: int = 2
    workers: int = 4
    port: int = 8131
    reuse_base: bool = True
    # manage.py commands run beside gunicorn for the whole run: the task worker, which runs the web import.
    companions: list[list[str]] = field(default_factory=lambda: [list(TASK_WORKER)])
    log: Callable[[str], None] = field(default=lambda message: None)

    @property
    def clients(self) -> int:
        return self.readers + self.recorders + self.photographers + self.importers
