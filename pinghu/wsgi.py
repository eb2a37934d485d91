"""The WSGI application (gunicorn pinghu.wsgi): Django's, in a process warmed up and with its long-lived objects
frozen out of the garbage collector's full passes when CLEARANCE_GC_FREEZE is on (pinghu/warm.py)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pinghu.settings")

application = get_wsgi_application()


def _prepare_process() -> None:
    from django.conf import settings

    from .warm import freeze_long_lived

    if settings.CLEARANCE_GC_FREEZE:
        freeze_long_lived()


_prepare_process()
