"""Server-Timing and X-Query-Count headers for the benchmark, on when settings.CLEARANCE_TIMING_HEADERS is true."""

import time
from contextlib import ExitStack

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import MiddlewareNotUsed
from django.db import connections

# A request carrying this header starts cold: the cache is cleared before the clock starts.
# Only honoured while timing headers are on, which is for benchmarks, never production.
CLEAR_CACHE_HEADER = "X-Clear-Cache"


class QueryTimer:
    """Count the queries run through a connection and add up the time they take, in seconds."""

    def __init__(self):
        self.count = 0
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - start
            self.count += 1


class ServerTimingMiddleware:
    """Time the whole request (put it first in MIDDLEWARE) and its database queries; say so in the response headers.

    `Server-Timing: app;dur=<ms>, db;dur=<ms>` and `X-Query-Count: <n>`. With the
    setting off (the default) Django drops the middleware at start-up, so it costs nothing.
    """

    def __init__(self, get_response):
        if not settings.CLEARANCE_TIMING_HEADERS:
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request):
        if request.headers.get(CLEAR_CACHE_HEADER) == "1":
            cache.clear()
        timer = QueryTimer()
        start = time.perf_counter()
        with ExitStack() as wrappers:
            # Every database, so reads routed to a replica are counted too.
            for alias in connections:
                wrappers.enter_context(connections[alias].execute_wrapper(timer))
            response = self.get_response(request)
        app_ms = (time.perf_counter() - start) * 1000
        response["Server-Timing"] = f"app;dur={app_ms:.2f}, db;dur={timer.seconds * 1000:.2f}"
        response["X-Query-Count"] = str(timer.count)
        return response
