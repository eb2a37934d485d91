"""The site tree's closure table (SiteAncestry), kept in step with Site.parent.

Why: pages ask "this site and every parcel inside it" (a site's progress, its
timeline, its photos). With only parent links that is an OR per level through
joins, which the database answers by scanning; with a row per (site, ancestor)
it is one indexed lookup, whatever the depth.

How it stays exact: the services save a Site inside
`clearance.derived.kept_in_step`, which calls `site_saved`: it links a new site
under its parent's ancestors and, when a site moves to another parent, re-links
its whole subtree (two statements), in the same transaction. Deleting a site
deletes its rows by cascade. Bulk writers (the ledger's batched import,
generate_scale) call `rebuild(town_ids)`: one recursive query from the parent
links. `differences()` recomputes the table from the parent links and lists any
disagreement; `manage.py verify_rollups` reports it with the monthly rollup.
"""

from collections.abc import Iterable

from django.db import connection, transaction

from ..models import Site, SiteAncestry

# A site tree deeper than this is a cycle written around the model's validation; stop there.
MAX_DEPTH = 64


def _tree_sql(town_ids: list[int] | None) -> tuple[str, list]:
    """A recursive query giving (site_id, ancestor_id, depth) for the sites of TOWN_IDS (all when None)."""
    site = connection.ops.quote_name(Site._meta.db_table)
    where, params = "", []
    if town_ids is not None:
        where = f"WHERE town_id IN ({', '.join(['%s'] * len(town_ids))})"
        params = list(town_ids)
    sql = f"""
        WITH RECURSIVE tree (site_id, ancestor_id, depth) AS (
            SELECT id, id, 0 FROM {site} {where}
            UNION ALL
            SELECT tree.site_id, parent.parent_id, tree.depth + 1
            FROM tree JOIN {site} parent ON parent.id = tree.ancestor_id
            WHERE parent.parent_id IS NOT NULL AND tree.depth < {MAX_DEPTH}
        )
    """
    return sql, params


def expected(town_ids: Iterable[int] | None = None) -> set[tuple[int, int, int]]:
    """Return the (site, ancestor, depth) rows the parent links give, for TOWN_IDS' sites (all when None)."""
    town_ids = None if town_ids is None else sorted(set(town_ids))
    if town_ids == []:
        return set()
    sql, params = _tree_sql(town_ids)
    with connection.cursor() as cursor:
        cursor.execute(sql + " SELECT site_id, ancestor_id, depth FROM tree", params)
        return {tuple(row) for row in cursor.fetchall()}


def stored() -> set[tuple[int, int, int]]:
    return set(SiteAncestry.objects.values_list("site_id", "ancestor_id", "depth"))


def differences() -> list[dict]:
    """Rows missing from the table or there in excess, against the parent links; empty when they agree."""
    want, have = expected(), stored()
    return [
        {"site": site, "ancestor": ancestor, "depth": depth, "problem": problem}
        for problem, rows in (("missing", want - have), ("extra", have - want))
        for site, ancestor, depth in sorted(rows)
    ]


@transaction.atomic
def rebuild(town_ids: Iterable[int] | None = None) -> None:
    """Recompute the rows of TOWN_IDS' sites (every site when None) from the parent links.

    A site's ancestors are in its own town (Site.clean), so a town's rows depend on that town's sites only.
    """
    town_ids = None if town_ids is None else sorted(set(town_ids))
    if town_ids == []:
        return
    stale = SiteAncestry.objects.all()
    if town_ids is not None:
        stale = stale.filter(site__town_id__in=town_ids)
    stale.delete()
    table = connection.ops.quote_name(SiteAncestry._meta.db_table)
    sql, params = _tree_sql(town_ids)
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} INSERT INTO {table} (site_id, ancestor_id, depth) SELECT site_id, ancestor_id, depth FROM tree",
                       params)


# pg_advisory_xact_lock's first key: this module's tree changes (the second key is the town).
TREE_LOCK = 5_310_001


def _lock_town_tree(town_id: int) -> None:
    """Take turns with other writers of the town's tree until the transaction ends.

    A site created under a parcel while another writer moves that parcel would
    otherwise copy the ancestors the move is replacing. SQLite writes one
    transaction at a time anyway.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [TREE_LOCK, town_id])


def _link(site: Site) -> None:
    """Rows of a new site: itself, and its parent's ancestors one level further down."""
    _lock_town_tree(site.town_id)
    rows = [SiteAncestry(site_id=site.pk, ancestor_id=site.pk, depth=0)]
    if site.parent_id is not None:
        rows += [
            SiteAncestry(site_id=site.pk, ancestor_id=ancestor_id, depth=depth + 1)
            for ancestor_id, depth in SiteAncestry.objects.filter(site_id=site.parent_id).values_list("ancestor_id", "depth")
        ]
    SiteAncestry.objects.bulk_create(rows)


def _relink(site: Site) -> None:
    """Move SITE's subtree under its new parent: drop the rows to the old ancestors, add those to the new ones."""
    _lock_town_tree(site.town_id)
    subtree = dict(SiteAncestry.objects.filter(ancestor_id=site.pk).values_list("site_id", "depth"))
    SiteAncestry.objects.filter(site_id__in=subtree).exclude(ancestor_id__in=subtree).delete()
    if site.parent_id is None:
        return
    above = list(SiteAncestry.objects.filter(site_id=site.parent_id).values_list("ancestor_id", "depth"))
    SiteAncestry.objects.bulk_create(
        SiteAncestry(site_id=descendant, ancestor_id=ancestor, depth=below + up + 1)
        for descendant, below in subtree.items()
        for ancestor, up in above
    )


def site_saved(site: Site, *, created: bool) -> None:
    """Bring the rows of SITE in step after it was saved: link a new site, re-link a subtree that moved."""
    if created:
        _link(site)
        return
    linked_parent = SiteAncestry.objects.filter(site_id=site.pk, depth=1).values_list("ancestor_id", flat=True).first()
    if linked_parent != site.parent_id:
        _relink(site)
