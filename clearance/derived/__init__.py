"""Tables derived from the records (the monthly rollup, the site tree, the evaluation's links to the clearance
ledger), kept by the write path in the same transaction."""

from collections.abc import Iterator
from contextlib import contextmanager

from ..models import Enterprise, EvaluatedEnterprise, Site
from . import evaluation_links, rollup, site_tree


@contextmanager
def kept_in_step(instance, *, deleting: bool = False, locked: bool = False) -> Iterator[None]:
    """Keep the monthly rollup and the site tree in step with the save (or delete) of INSTANCE made inside.

    The services wrap every save and delete of an event, enterprise or site in this, inside
    their transaction; bulk writers rebuild instead (rollup.rebuild, site_tree.rebuild).
    LOCKED: the caller already holds the rows rollup.track would lock (an event's subject).
    """
    tracked = rollup.track(instance, locked=locked)
    created = instance.pk is None
    # The evaluated enterprises that were this clearance enterprise: after a delete they are no one's (or another's).
    twins = (list(EvaluatedEnterprise.objects.filter(clearance_enterprise_id=instance.pk).values_list("pk", flat=True))
             if deleting and isinstance(instance, Enterprise) else [])
    yield
    if tracked is not None:
        tracked.settle()
    if isinstance(instance, Site) and not deleting:
        site_tree.site_saved(instance, created=created)
    if isinstance(instance, Enterprise):
        if deleting:
            evaluation_links.relink(EvaluatedEnterprise.objects.filter(pk__in=twins))
        else:
            evaluation_links.relink_for_enterprise(instance)
