"""python manage.py bench_browser: the dashboard and town page in Debian's Chromium on a slow phone, cold and warm."""

import json
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from perf.frontend import (
    BROWSER_DEFAULT_PAGES,
    FrontendError,
    add_site_arguments,
    bench_browser,
    browser_report,
    pages_argument,
    site_config,
)


class Command(BaseCommand):
    help = (
        "Open pages in Debian's Chromium through Playwright on a slow phone (150 ms round trip, 1.6 Mbit/s, CPU 4× "
        "slower), served by gunicorn as in production with the demo; report bytes, first paint, LCP and when the "
        "charts were drawn, for a first and a repeat visit, against the goals."
    )

    def add_arguments(self, parser):
        add_site_arguments(parser, port=8141, default_pages=BROWSER_DEFAULT_PAGES)
        parser.add_argument("--runs", type=int, default=3,
                            help="visits of each page, cold then warm; the report gives the medians (default 3)")

    def handle(self, *args, **options):
        keys = pages_argument(options["pages"])
        if options["runs"] < 1:
            raise CommandError(_("--%(option)s must be at least %(minimum)s.") % {"option": "runs", "minimum": 1})
        config = site_config(options, log=lambda message: self.stderr.write(
            f"bench_browser {time.strftime('%H:%M:%S')}: {message}"))
        try:
            results = bench_browser(config, keys, options["runs"])
        except FrontendError as error:
            raise CommandError(str(error)) from None
        if options["json_path"]:
            Path(options["json_path"]).write_text(json.dumps(results, indent=2, ensure_ascii=False))
        self.stdout.write(browser_report(results, title=f"Browser bench — {time.strftime('%Y-%m-%d')}"))
