"""python manage.py lighthouse: Lighthouse (mobile preset) on every page a user opens, signed in, in one table."""

import json
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from perf.frontend import (
    LIGHTHOUSE_DEFAULT_PAGES,
    FrontendError,
    add_site_arguments,
    lighthouse,
    lighthouse_report,
    pages_argument,
    site_config,
)


class Command(BaseCommand):
    help = (
        "Run Lighthouse (tools/lighthouse/, mobile preset) with Debian's headless Chromium on every page a user "
        "opens, signed in as the demo's leader or official, against gunicorn served as in production with the "
        "demo; print performance, accessibility and best practices per page, and the audits that fail."
    )

    def add_arguments(self, parser):
        add_site_arguments(parser, port=8142, default_pages=LIGHTHOUSE_DEFAULT_PAGES)
        parser.add_argument("--reports", metavar="FOLDER",
                            help="keep Lighthouse's JSON report of each page in this folder (default: removed)")
        parser.add_argument("--desktop", action="store_true",
                            help="Lighthouse's desktop preset instead of the mobile one (the goals are the mobile's)")

    def handle(self, *args, **options):
        keys = pages_argument(options["pages"])
        reports = Path(options["reports"]) if options["reports"] else None
        if reports is not None and reports.exists() and not reports.is_dir():
            raise CommandError(_("--reports: %(path)s is not a folder.") % {"path": reports})
        config = site_config(options, log=lambda message: self.stderr.write(
            f"lighthouse {time.strftime('%H:%M:%S')}: {message}"))
        try:
            results = lighthouse(config, keys, reports, desktop=options["desktop"])
        except FrontendError as error:
            raise CommandError(str(error)) from None
        if options["json_path"]:
            Path(options["json_path"]).write_text(json.dumps(results, indent=2, ensure_ascii=False))
        self.stdout.write(lighthouse_report(results, title=f"Lighthouse — {time.strftime('%Y-%m-%d')}"))
