"""Django admin of the clearance app, by sub-domain; importing the modules registers their pages."""

from . import base, evaluation, events, places, records, register, reuse, sign_ins, targets, users  # noqa: F401
