"""A server process made ready before its first request, and its long-lived objects kept out of the garbage collector.

Why: a Django process holds some 150,000 objects that live as long as it does (modules, the URL patterns, the
compiled templates, the translation catalogs, the ORM's metadata). Python's collector walks all of them at each
full collection, which the allocations of ordinary requests set off every dozen requests or so: about 90 ms each
on this project's dashboard, on average 7 ms a request, and one request in a dozen waiting for it. `gc.freeze()`
moves every object alive at that moment into a generation the collector never walks; what is created afterwards is
collected as before, so garbage made by requests is still freed.

Frozen objects are never collected, so the process first loads what it would otherwise load on its first
requests (the compiled templates, the catalogs, the URL patterns) and collects what is already garbage, then
freezes. `pinghu.wsgi` does it once per process (each gunicorn worker imports it); `CLEARANCE_GC_FREEZE=0` turns
it off.
"""

import gc
import logging
from pathlib import Path

from django.conf import settings
from django.template import TemplateDoesNotExist, TemplateSyntaxError, engines
from django.urls import get_resolver
from django.utils import translation

logger = logging.getLogger(__name__)

TEMPLATE_SUFFIXES = (".html", ".txt")


def template_names() -> list[str]:
    """Every template name the project's Django engine can load (its own directory and each app's), each once."""
    names: set[str] = set()
    for engine in engines.all():
        if not hasattr(engine, "engine"):
            continue
        for loader in engine.engine.template_loaders:
            for each in getattr(loader, "loaders", [loader]):
                for folder in each.get_dirs():
                    root = Path(folder)
                    names.update(
                        path.relative_to(root).as_posix() for path in root.rglob("*") if path.suffix in TEMPLATE_SUFFIXES
                    )
    return sorted(names)


def compile_templates() -> list[str]:
    """Compile every template into the cached loader, as its first use would; return those that failed, with why."""
    failed = []
    engine = engines["django"]
    for name in template_names():
        try:
            engine.get_template(name)
        except (TemplateDoesNotExist, TemplateSyntaxError) as error:
            failed.append(f"{name}: {error}")
    return failed


def warm_up() -> list[str]:
    """Load what the first requests would: the URL patterns, each language's catalog and every template.
    Return the templates that failed to compile (a page using one fails on its own)."""
    get_resolver().url_patterns  # noqa: B018 (imports every view module)
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            translation.gettext("Dashboard")
    failed = compile_templates()
    for failure in failed:
        # A third party's template for a package not installed (django-filter's crispy forms) is no concern of ours.
        own = any((Path(folder) / failure.split(":", 1)[0]).exists() for folder in settings.TEMPLATES[0]["DIRS"])
        logger.log(logging.WARNING if own else logging.DEBUG, "Template not compiled at start: %s", failure)
    return failed


def freeze_long_lived() -> int:
    """Warm the process up, collect its garbage and freeze what is left (see the module's docstring); return how many
    objects were frozen."""
    warm_up()
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
