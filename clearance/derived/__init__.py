"""Tables derived from the records (the monthly rollup, the site tree), kept by the write path in the same transaction."""

from collections.abc import Iterator
from contextlib import contextmanager

from ..models import Site
from . import rollup, site_tree


@contextmanager
def kept_in_step(instance, *, deleting: bool = False) -> Iterator[None]:
    """Keep the monthly rollup and the site tree in step with the save (or delete) of INSTANCE made inside.

    The services wrap every save and delete of an event, enterprise or site in this, inside
    their transaction; bulk writers rebuild instead (rollup.rebuild, site_tree.rebuild).
    """
    tracked = rollup.track(instance)
    created = instance.pk is None
    yield
    if tracked is not None:
        tracked.settle()
    if isinstance(instance, Site) and not deleting:
        site_tree.site_saved(instance, created=created)
