"""python manage.py verify_rollups [--repair]: recompute the derived tables (the monthly rollup, the site tree, each
site's progress, the evaluation's links to the clearance ledger, its rows' copies of their enterprise's town and name
and its towns' figures, the reuse rollup, the projects' commitments, the
register's rollup) and report any difference."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from clearance.derived import (
    commitments, evaluation_links, evaluation_rollup, register_rollup, reuse_rollup, rollup, row_copies, site_progress,
    site_tree,
)
from clearance.models import EvaluatedEnterprise, Town


def _when(difference: dict) -> str:
    """A rollup row's period: 2022-03 for a month's row, 2022 for a year's."""
    if difference["month"] is None:
        return str(difference["year"])
    return f"{difference['year']}-{difference['month']:02d}"


class Command(BaseCommand):
    help = (
        "Recompute every town's monthly figures from the events, and the site tree from the sites' parents, "
        "and compare them with what is stored."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--repair", action="store_true", help="rebuild what differs from the events and the sites"
        )

    def handle(self, *args, repair: bool, **options):
        found = rollup.differences()
        tree_found = site_tree.differences()
        # After the tree: a site's progress counts what lies inside it.
        progress_found = site_progress.differences()
        links_found = evaluation_links.differences()
        copies_found = row_copies.differences()
        # After the links: a town's figures count its rows in clearance.
        evaluation_found = evaluation_rollup.differences()
        # The land of each project first: the reuse rollup sums it.
        land_found = reuse_rollup.land_differences()
        reuse_found = reuse_rollup.differences()
        commitments_found = commitments.differences()
        register_found = register_rollup.differences()
        if not found:
            self.stdout.write(f"rollup agrees with the events ({rollup.stored_count()} monthly rows, and the yearly rows)")
        if not tree_found:
            self.stdout.write("site tree agrees with the sites' containing areas")
        if not progress_found:
            self.stdout.write("each site's progress agrees with its events, enterprises and parcels")
        if not links_found:
            self.stdout.write("evaluated enterprises agree with the clearance ledger on which of them are in clearance")
        if not copies_found:
            self.stdout.write("indicator rows agree with their enterprises on the town and the name")
        if not evaluation_found:
            self.stdout.write("the towns' evaluation figures agree with the indicator rows")
        if not land_found and not reuse_found:
            self.stdout.write("reuse rollup agrees with the project events, and each project's land with its sites")
        if not commitments_found:
            self.stdout.write("each project's commitment agrees with its operator's evaluations")
        if not register_found:
            self.stdout.write("the register's monthly and yearly rollups agree with its items")
        if not any((found, tree_found, progress_found, links_found, copies_found, evaluation_found, land_found,
                    reuse_found, commitments_found, register_found)):
            return
        names = dict(Town.objects.values_list("pk", "name"))
        for each in found:
            self.stdout.write(
                f"{names.get(each['town_id'], each['town_id'])} {_when(each)} {each['figure']}: "
                f"rollup {each['rollup']}, events {each['events']}"
            )
        for each in tree_found:
            self.stdout.write(
                f"site tree: site {each['site']} in {each['ancestor']} ({each['depth']} levels down) {each['problem']}"
            )
        for each in progress_found:
            self.stdout.write(f"site {each['site']}: progress {each['stored']} stored, {each['expected']} by the events")
        for what, pk, stored, expected in links_found:
            self.stdout.write(f"{what} {pk}: {stored} stored, {expected} by the ledger (clearance twin / in clearance)")
        for pk, stored, expected in copies_found:
            self.stdout.write(f"indicator row {pk}: town and name {stored} stored, {expected} by its enterprise")
        for each in evaluation_found:
            self.stdout.write(
                f"{names.get(each['town_id'], each['town_id'])} {each['year']} evaluation {each['figure']}: "
                f"stored {each['stored']}, indicator rows {each['rows']}"
            )
        for pk, stored, allocated in land_found:
            self.stdout.write(f"project {pk}: land {stored} stored, {allocated} by the sites it takes")
        for each in reuse_found:
            self.stdout.write(
                f"{names.get(each['town_id'], each['town_id'])} {_when(each)} {each['figure']}: "
                f"reuse rollup {each['rollup']}, project events {each['events']}"
            )
        for pk, stored, expected in commitments_found:
            self.stdout.write(f"project {pk}: commitment {stored} stored, {expected} by its operator's evaluations")
        for each in register_found:
            self.stdout.write(
                f"{names.get(each['town_id'], each['town_id'])} {_when(each)} {each['kind']} "
                f"{each['figure']}: register rollup {each['rollup']}, items {each['items']}"
            )
        if repair:
            with transaction.atomic():
                if land_found:
                    reuse_rollup.land_repair()
                if land_found or reuse_found:
                    reuse_rollup.rebuild()
                if links_found:
                    evaluation_links.relink(EvaluatedEnterprise.objects.all())
                if copies_found:
                    row_copies.follow()
                if links_found or copies_found or evaluation_found:
                    evaluation_rollup.rebuild()
                if commitments_found:
                    commitments.refresh()
                if register_found:
                    register_rollup.rebuild()
                if tree_found:
                    site_tree.rebuild()
                if tree_found or progress_found:
                    site_progress.rebuild()
                if found:
                    rollup.rebuild()
            repaired = sum(map(len, (found, tree_found, progress_found, links_found, copies_found, evaluation_found,
                                     land_found, reuse_found, commitments_found, register_found)))
            self.stdout.write(
                f"{repaired} differences repaired: rebuilt from the events, the sites and the indicator rows"
            )
            return
        raise CommandError(
            f"{len(found)} differences between the rollup and the events, {len(tree_found)} in the site tree, "
            f"{len(progress_found)} in the sites' progress, "
            f"{len(links_found)} in the evaluation's links, {len(copies_found)} in the rows' copies of their enterprise, "
            f"{len(evaluation_found)} in the towns' evaluation figures, "
            f"{len(land_found) + len(reuse_found)} in the reuse figures, {len(commitments_found)} in the projects' "
            f"commitments, {len(register_found)} in the register's rollup (run with --repair)"
        )
