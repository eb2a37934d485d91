"""Django admin of the clearance app, by sub-domain; importing the modules registers their pages."""

from . import (  # noqa: F401
    base, economy, evaluation, events, places, records, register, reuse, sign_ins, targets, users,
)
