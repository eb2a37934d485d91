"""The product benchmark behind `manage.py bench`: pages, their SQL floor, recording, import, memory and generation.

config    constants, the goals, BenchConfig, BenchError
stats     percentile, ratio
client    Response, HttpClient (a signed-in visitor)
database  psycopg2 connections, recreating databases, fetching rows
server    the server's environment, manage.py commands, GunicornServer
prepare   a size: the base database, generation, counts, subjects
measure   pages, the SQL floor, concurrent recording, import
run       bench: the whole run; bench_recording: the recording alone
report    goals and the report
"""

from .client import HttpClient, Response
from .config import DEFAULT_DATABASE_URL, DEFAULT_SIZES, PAGES, QUICK_SIZES, BenchConfig, BenchError, Page
from .measure import (
    failed_page,
    measure_floor,
    measure_import,
    measure_page,
    measure_pages,
    measure_recording,
    parse_import_output,
)
from .report import goals, recording_report, report
from .run import bench, bench_recording
from .server import GunicornServer, manage, server_environment
from .stats import percentile, ratio

__all__ = [
    "DEFAULT_DATABASE_URL",
    "DEFAULT_SIZES",
    "PAGES",
    "QUICK_SIZES",
    "BenchConfig",
    "BenchError",
    "GunicornServer",
    "HttpClient",
    "Page",
    "Response",
    "bench",
    "bench_recording",
    "failed_page",
    "goals",
    "manage",
    "measure_floor",
    "measure_import",
    "measure_page",
    "measure_recording",
    "measure_pages",
    "parse_import_output",
    "percentile",
    "recording_report",
    "ratio",
    "report",
    "server_environment",
]
