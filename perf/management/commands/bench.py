"""python manage.py bench [--quick] [--only recording]: measure pages, recording, import and generation at two sizes
against gunicorn, or the recording alone."""

import json
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from perf.bench import (
    DEFAULT_DATABASE_URL, DEFAULT_SIZES, QUICK_SIZES, BenchConfig, BenchError, bench, bench_recording, recording_report,
    report,
)


def sizes_argument(text: str) -> tuple[int, int]:
    """Parse SMALL,LARGE: two whole numbers of enterprises, the smaller first."""
    try:
        small, large = (int(part.replace("_", "").strip()) for part in text.split(","))
    except ValueError:
        raise CommandError(
            _("--sizes takes two numbers of enterprises separated by a comma, e.g. 5000,1000000 (got “%(text)s”).")
            % {"text": text}
        ) from None
    if not 0 < small < large:
        raise CommandError(
            _("--sizes: the first size must be above 0 and below the second (got “%(text)s”).") % {"text": text}
        )
    return small, large


def size_argument(text: str) -> int:
    """Parse one whole number of enterprises above 0, for a run of the recording alone."""
    try:
        size = int(text.replace("_", "").strip())
    except ValueError:
        size = 0
    if size <= 0:
        raise CommandError(
            _("--only recording takes one size in --sizes: a number of enterprises above 0 (got “%(text)s”).")
            % {"text": text}
        )
    return size


class Command(BaseCommand):
    help = (
        "Benchmark the product at two sizes (default 5,000 and 1,000,000 enterprises) against gunicorn on a "
        "PostgreSQL database of its own, which it drops and recreates; prints one table with the goals."
    )

    def add_arguments(self, parser):
        parser.add_argument("--quick", action="store_true", help="sizes 1,000 and 20,000, 20 requests per page")
        parser.add_argument("--sizes", help="SMALL,LARGE enterprises instead of the defaults (with --only recording: one size)")
        parser.add_argument("--only", choices=["recording"],
                            help="measure only this part: 'recording' generates one size (default 5,000, quick 1,000) "
                                 "without the evaluation and runs the concurrent recording alone")
        parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL,
                            help=f"the bench database, dropped and recreated (default {DEFAULT_DATABASE_URL}); "
                                 "its template <name>_base is kept for --reuse-base")
        parser.add_argument("--reuse-base", action="store_true",
                            help="reuse the migrated demo database of an earlier run when built from the same code")
        parser.add_argument("--towns", type=int, default=100, help="generated towns (default 100)")
        parser.add_argument("--requests", type=int, help="timed requests per page and size (default 30, quick 20)")
        parser.add_argument("--warmup", type=int, default=3, help="untimed requests per page and worker first (default 3)")
        parser.add_argument("--page-budget", type=float, default=300.0,
                            help="seconds one page may take at one size (default 300); a slower page gets fewer requests (at least 3)")
        parser.add_argument("--clients", type=int, default=16, help="concurrent recording clients (default 16)")
        parser.add_argument("--record-seconds", type=float, default=10.0, help="how long they record (default 10)")
        parser.add_argument("--import-enterprises", type=int, default=10_000,
                            help="enterprises in the timed ledger import (default 10000; 0 skips it)")
        parser.add_argument("--no-evaluation", action="store_true",
                            help="generate no evaluated enterprises, and skip the evaluation's recompute and reads")
        parser.add_argument("--port", type=int, default=8101, help="gunicorn's port (default 8101)")
        parser.add_argument("--workers", type=int, default=4, help="gunicorn's workers (default 4)")
        parser.add_argument("--redis-url", default="",
                            help="serve with this shared cache (emptied before each timed request, so give it a "
                                 "Redis database of its own, e.g. redis://127.0.0.1:6379/15); default: each "
                                 "worker's local memory")
        parser.add_argument("--json", dest="json_path",
                            help="also save the raw results to this file (after each size, so a stopped run keeps them)")

    def handle(self, *args, quick: bool, sizes: str | None, json_path: str | None, requests: int | None,
               only: str | None = None, **options):
        for option, minimum in (("towns", 1), ("requests", 1), ("warmup", 1), ("clients", 1), ("workers", 1),
                                ("record_seconds", 1), ("page_budget", 1), ("import_enterprises", 0)):
            value = requests if option == "requests" else options[option]
            if value is not None and value < minimum:
                raise CommandError(
                    _("--%(option)s must be at least %(minimum)s.") % {"option": option.replace("_", "-"), "minimum": minimum}
                )
        if only == "recording":
            chosen = (size_argument(sizes),) if sizes else ((QUICK_SIZES if quick else DEFAULT_SIZES)[0],)
        elif sizes:
            chosen = sizes_argument(sizes)
        else:
            chosen = QUICK_SIZES if quick else DEFAULT_SIZES
        config = BenchConfig(
            database_url=options["database_url"],
            sizes=chosen,
            towns=options["towns"],
            requests=requests or (20 if quick else 30),
            warmup=options["warmup"],
            clients=options["clients"],
            record_seconds=options["record_seconds"],
            import_enterprises=options["import_enterprises"],
            port=options["port"],
            workers=options["workers"],
            page_budget_seconds=options["page_budget"],
            reuse_base=options["reuse_base"],
            evaluation=not options["no_evaluation"],
            redis_url=options["redis_url"],
            log=lambda message: self.stderr.write(f"bench {time.strftime('%H:%M:%S')}: {message}"),
            checkpoint=lambda results: self._save(json_path, results),
        )
        try:
            results = bench_recording(config) if only == "recording" else bench(config)
        except BenchError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(recording_report(results) if only == "recording" else report(results))

    def _save(self, json_path: str | None, results: dict) -> None:
        if json_path:
            Path(json_path).write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str))
