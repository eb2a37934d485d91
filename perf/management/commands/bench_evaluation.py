"""python manage.py bench_evaluation [--repeat N] [--json]: time a year's recompute and a town's evaluation reads."""

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from perf.evaluation_bench import EvaluationBenchError, measure_evaluation


class Command(BaseCommand):
    help = (
        "Time the latest evaluated year on the configured database: its scores recomputed (a weight changed and "
        "changed back, nothing changed, an adjustment added and removed; the scores are left as they were) and "
        "what the evaluation page of its biggest town reads."
    )

    def add_arguments(self, parser):
        parser.add_argument("--repeat", type=int, default=20, help="timed runs of each read (default 20)")
        parser.add_argument("--json", action="store_true", help="print the results as one line of JSON")

    def handle(self, *args, repeat: int, **options):
        if repeat < 1:
            raise CommandError(_("--%(option)s must be at least %(minimum)s.") % {"option": "repeat", "minimum": 1})
        try:
            results = measure_evaluation(repeat=repeat)
        except EvaluationBenchError:
            raise CommandError(_("There is no evaluation data to measure: run generate_scale --evaluated N first.")) from None
        if options["json"]:
            self.stdout.write(json.dumps(results))
            return
        recompute, reads = results["recompute"], results["reads"]
        self.stdout.write(
            f"{results['year']}: {recompute['rows']:,} rows ({recompute['graded']:,} graded); recompute "
            f"{recompute['full_seconds']:.1f} s with every score changed, {recompute['unchanged_seconds']:.1f} s "
            f"with none, {recompute['adjustment_seconds'] or 0:.1f} s for one adjustment "
            f"({(recompute['queued_request_seconds'] or 0) * 1000:.0f} ms in the request with its scoring queued)."
        )
        for key, each in reads.items():
            if isinstance(each, dict):
                self.stdout.write(f"town {results['town']} ({results['town_rows']:,} rows) {key}: "
                                  f"{each['median_ms']:.1f} ms median, {each['max_ms']:.1f} ms max, {each['queries']} queries")
