"""Send the read-only dashboard pages' reads to the read replica; every write and every other read to the primary."""

import contextvars
from collections.abc import Callable

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS
from django.http import HttpRequest, HttpResponse

REPLICA_DB_ALIAS = "replica"

# The pages that only read and that leaders reload all day: a replica a few seconds behind shows figures a few
# seconds old there, which nobody can tell. Pages where people record progress read the primary, so that an
# official who has just saved sees what they saved.
REPLICA_READ_VIEWS = frozenset({
    "clearance:home",
    "clearance:town_detail",
    "clearance:town_board",
    "clearance:board",
    "clearance:bulletin",
    "api_summary",
})

# Only the campaign's own tables are read from the replica: the session and the user always come from the
# primary, so a sign-in that has not reached the replica yet still opens the dashboard.
REPLICA_READ_APPS = frozenset({"clearance"})

_reads_from_replica = contextvars.ContextVar("reads_from_replica", default=False)


def reads_from_replica() -> bool:
    """Whether the request being served may read from the replica."""
    return _reads_from_replica.get()


class ReplicaReadsMiddleware:
    """Let GET and HEAD requests of the read-only dashboard pages read from the replica, for their duration."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = _reads_from_replica.set(False)
        try:
            return self.get_response(request)
        finally:
            # A sync worker serves its next request in the same thread: the flag must not outlive this one.
            _reads_from_replica.reset(token)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> None:
        match = request.resolver_match
        if request.method in {"GET", "HEAD"} and match is not None and match.view_name in REPLICA_READ_VIEWS:
            _reads_from_replica.set(True)


class ReplicaRouter:
    """Route reads of the campaign's tables to the replica while ReplicaReadsMiddleware allows it; all else to default."""

    def db_for_read(self, model, **hints) -> str:
        if (
            reads_from_replica()
            and REPLICA_DB_ALIAS in settings.DATABASES
            and model._meta.app_label in REPLICA_READ_APPS
        ):
            return REPLICA_DB_ALIAS
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool | None:
        # The two aliases hold the same rows, so an object read from the replica may point at one from the primary.
        if {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, REPLICA_DB_ALIAS}:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, model_name=None, **hints) -> bool:
        # The replica receives the primary's schema through replication, never through migrate.
        return db == DEFAULT_DB_ALIAS
