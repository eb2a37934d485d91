"""Tables derived from the records (the monthly rollup, the site tree, each site's progress, the evaluation's links
to the clearance ledger), kept by the write path in the same transaction."""

from collections.abc import Iterator
from contextlib import contextmanager

from ..models import Enterprise, EvaluatedEnterprise, Event, Site
from . import evaluation_links, rollup, site_progress, site_tree


@contextmanager
def kept_in_step(instance, *, deleting: bool = False, locked: bool = False) -> Iterator[None]:
    """Keep the monthly rollup, the site tree and the sites' progress in step with the save (or delete) of INSTANCE
    made inside.

    The services wrap every save and delete of an event, enterprise or site in this, inside
    their transaction; bulk writers rebuild instead (rollup.rebuild, site_tree.rebuild, site_progress.rebuild).
    LOCKED: the caller already holds the rows rollup.track would lock (an event's subject).
    """
    tracked = rollup.track(instance, locked=locked)
    created = instance.pk is None
    # The evaluated enterprises that were this clearance enterprise: after a delete they are no one's (or another's).
    twins = (list(EvaluatedEnterprise.objects.filter(clearance_enterprise_id=instance.pk).values_list("pk", flat=True))
             if deleting and isinstance(instance, Enterprise) else [])
    # The sites whose progress the write may move, as stored before it: an enterprise's site, a site's containing area.
    sites_before = _stored_sites(instance) if not created else []
    yield
    if tracked is not None:
        tracked.settle()
    if isinstance(instance, Site) and not deleting:
        site_tree.site_saved(instance, created=created)
    if isinstance(instance, Event):
        site_progress.event_written(instance)
    elif isinstance(instance, (Enterprise, Site)):
        site_progress.refresh_around([*sites_before, *([] if deleting else _sites_of(instance))])
    if isinstance(instance, Enterprise):
        if deleting:
            evaluation_links.relink(EvaluatedEnterprise.objects.filter(pk__in=twins))
        else:
            evaluation_links.relink_for_enterprise(instance)


def _sites_of(instance: Enterprise | Site) -> list[int | None]:
    """The sites whose progress counts INSTANCE: an enterprise's site; a site itself and its containing area (the areas
    around them are added by site_progress.refresh_around)."""
    return [instance.site_id] if isinstance(instance, Enterprise) else [instance.pk, instance.parent_id]


def _stored_sites(instance) -> list[int | None]:
    """_sites_of INSTANCE as stored before the write (one query; none for other models)."""
    if isinstance(instance, Enterprise):
        return list(Enterprise.objects.filter(pk=instance.pk).values_list("site_id", flat=True))
    if isinstance(instance, Site):
        return [instance.pk, *Site.objects.filter(pk=instance.pk).values_list("parent_id", flat=True)]
    return []
