"""python manage.py generate_scale --enterprises N [--evaluated M] [--projects P] [--towns T] [--seed S]: add a large
synthetic campaign."""

import json
import resource
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from clearance.management.importing import importing_user
from perf.scale import ScaleError, generate_scale

# Without a terminal the progress goes to the log as a line every tenth of the way.
LOG_STEPS = 10


class Command(BaseCommand):
    help = (
        "Add a synthetic campaign to the configured database: new towns, sites, enterprises, events from 2019 "
        "to today, targets and bulletins. Deterministic for a seed; rows already there are left as they are."
    )

    def add_arguments(self, parser):
        parser.add_argument("--enterprises", type=int, required=True, help="enterprises to add")
        parser.add_argument("--towns", type=int, default=100, help="new towns to spread them over (default 100)")
        parser.add_argument("--seed", type=int, default=0, help="the same seed gives the same rows (default 0)")
        parser.add_argument("--evaluated", type=int, default=0,
                            help="enterprises of the 亩均效益评价 to add over the new towns, each with two years of "
                                 "indicator rows, scored (default 0)")
        parser.add_argument("--projects", type=int, default=None,
                            help="projects (换鸟) to add on the new towns' vacated parcels, with their land and stages "
                                 "(default: one per 50 enterprises)")
        parser.add_argument("--json", action="store_true", help="also print the timings as one line of JSON")
        parser.add_argument("--user", help="username the events and history are attributed to")

    def handle(self, *args, enterprises: int, towns: int, seed: int, evaluated: int, projects: int | None,
               user: str | None, **options):
        self._started = time.perf_counter()
        self._logged_step = 0
        self._drawn = False
        try:
            report = generate_scale(
                enterprises=enterprises, towns=towns, seed=seed, evaluated=evaluated, projects=projects,
                user=importing_user(user), progress=self._progress,
            )
        except ScaleError as error:
            raise CommandError(str(error)) from error
        finally:
            if self._drawn:
                self.stderr.write("")
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        self.stdout.write(
            _("Seed %(seed)s: added %(towns)s towns, %(sites)s sites, %(enterprises)s enterprises, %(events)s events, "
              "%(targets)s targets and %(bulletins)s bulletin figures, with %(history)s history rows.")
            % {"seed": report.seed, "towns": f"{report.towns:,}", "sites": f"{report.sites:,}",
               "enterprises": f"{report.enterprises:,}", "events": f"{report.events:,}",
               "targets": f"{report.targets:,}", "bulletins": f"{report.bulletin_figures:,}",
               "history": f"{report.history_rows:,}"}
        )
        self.stdout.write(
            _("%(seconds).1f s: %(per_minute)s enterprises per minute, %(per_second)s rows per second "
              "(history included); peak memory %(memory)s MB.")
            % {"seconds": report.seconds, "per_minute": f"{report.enterprises * 60 / report.seconds:,.0f}",
               "per_second": f"{(report.rows + report.history_rows) / report.seconds:,.0f}",
               "memory": f"{peak_mb:,.0f}"}
        )
        evaluation = report.evaluation
        if evaluation.evaluated:
            self.stdout.write(
                _("Evaluation %(years)s: %(evaluated)s evaluated enterprises (%(by_code)s of them in the clearance "
                  "ledger by credit code, %(by_name)s by name), %(rows)s indicator rows and %(adjustments)s "
                  "adjustments in %(seconds).1f s; both years scored in %(scoring).1f s.")
                % {"years": "、".join(map(str, evaluation.years)), "evaluated": f"{evaluation.evaluated:,}",
                   "by_code": f"{evaluation.joined_by_code:,}", "by_name": f"{evaluation.joined_by_name:,}",
                   "rows": f"{evaluation.indicator_rows:,}", "adjustments": f"{evaluation.adjustments:,}",
                   "seconds": evaluation.seconds, "scoring": evaluation.scoring_seconds}
            )
        if report.projects:
            self.stdout.write(
                _("Reuse: %(projects)s projects on vacated parcels, taking land from %(sites)s sites, with %(events)s "
                  "stage events.")
                % {"projects": f"{report.projects:,}", "sites": f"{report.project_sites:,}",
                   "events": f"{report.project_events:,}"}
            )
        if options["json"]:
            self.stdout.write(json.dumps({
                "seconds": report.seconds, "enterprises": report.enterprises, "evaluated": evaluation.evaluated,
                "indicator_rows": evaluation.indicator_rows, "evaluation_seconds": evaluation.seconds,
                "scoring_seconds": evaluation.scoring_seconds, "projects": report.projects, "peak_mb": peak_mb,
            }))

    def _progress(self, done: int, total: int, rows: int) -> None:
        """Redraw one line on a terminal; in a log, write a line every tenth of the way."""
        seconds = max(time.perf_counter() - self._started, 1e-6)
        line = _("%(percent)3d%%  %(done)s/%(total)s enterprises  %(rate)s rows/s") % {
            "percent": 100 * done // total, "done": f"{done:,}", "total": f"{total:,}",
            "rate": f"{rows / seconds:,.0f}",
        }
        if self.stderr.isatty():
            width = 30
            filled = width * done // total
            self.stderr.ending = ""
            self.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {line}")
            self.stderr.ending = "\n"
            self._drawn = True
            return
        step = LOG_STEPS * done // total
        if step > self._logged_step:
            self._logged_step = step
            self.stderr.write(line)
