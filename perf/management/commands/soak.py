"""python manage.py soak [--minutes N]: mixed traffic from 16 clients against gunicorn, then memory and figures checked."""

import json
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from perf.bench import BenchError
from perf.soak import DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL, TASK_WORKER, SoakConfig, passed, report, soak


class Command(BaseCommand):
    help = (
        "Soak test: leaders reading, officials recording (with and without photos) and one admin importing a "
        "ledger, against gunicorn with PostgreSQL and Redis, for 30 minutes by default, on a database of its own "
        "(dropped and recreated). Prints a Markdown report; exits with an error when a goal is missed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--minutes", type=float, default=30.0, help="how long the traffic is measured (default 30)")
        parser.add_argument("--warmup", type=float, default=30.0, help="seconds of traffic before measuring (default 30)")
        parser.add_argument("--readers", type=int, default=8, help="leaders reading pages (default 8)")
        parser.add_argument("--recorders", type=int, default=4, help="officials recording stages (default 4)")
        parser.add_argument("--photographers", type=int, default=3,
                            help="officials recording stages with photos (default 3)")
        parser.add_argument("--import-enterprises", type=int, default=2000,
                            help="enterprises in the admin's one web ledger import (default 2000)")
        parser.add_argument("--think", type=float, default=0.2,
                            help="mean pause between two steps of a client, in seconds (default 0.2)")
        parser.add_argument("--workers", type=int, default=4, help="gunicorn's workers (default 4)")
        parser.add_argument("--port", type=int, default=8131, help="gunicorn's port (default 8131)")
        parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL,
                            help=f"the soak database, dropped and recreated (default {DEFAULT_DATABASE_URL})")
        parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL,
                            help=f"Redis for cache and sessions (default {DEFAULT_REDIS_URL}); its keys are prefixed "
                                 "per run and removed at the end")
        parser.add_argument("--companion", action="append", default=[], metavar="COMMAND",
                            help="another manage.py command to run beside gunicorn and the task worker (db_worker, always "
                                 "started) for the whole run (repeatable)")
        parser.add_argument("--json", dest="json_path", help="also save the raw results to this file")
        parser.add_argument("--markdown", dest="markdown_path", help="also write the report to this file")

    def handle(self, *args, **options):
        for option, minimum in (("minutes", 0.1), ("warmup", 1), ("readers", 1), ("recorders", 1), ("photographers", 0),
                                ("import_enterprises", 1), ("think", 0), ("workers", 1)):
            if options[option] < minimum:
                raise CommandError(
                    _("--%(option)s must be at least %(minimum)s.") % {"option": option.replace("_", "-"), "minimum": minimum}
                )
        config = SoakConfig(
            database_url=options["database_url"], redis_url=options["redis_url"],
            seconds=options["minutes"] * 60, warmup_seconds=options["warmup"],
            readers=options["readers"], recorders=options["recorders"], photographers=options["photographers"],
            import_enterprises=options["import_enterprises"], think_seconds=options["think"],
            workers=options["workers"], port=options["port"],
            companions=[list(TASK_WORKER)] + [command.split() for command in options["companion"]],
            log=lambda message: self.stderr.write(f"soak {time.strftime('%H:%M:%S')}: {message}"),
        )
        try:
            results = soak(config)
        except BenchError as error:
            raise CommandError(str(error)) from None
        text = report(results, title=f"Soak — {time.strftime('%Y-%m-%d')}")
        if options["json_path"]:
            Path(options["json_path"]).write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str))
        if options["markdown_path"]:
            Path(options["markdown_path"]).write_text(text)
        self.stdout.write(text)
        if not passed(results):
            raise CommandError(_("The soak test missed a goal (see the report above)."))
