from django.apps import AppConfig


class ClearanceConfig(AppConfig):
    default_auto_field = 'django.db.models.BigAutoField'
    name = 'clearance'

    def ready(self):
        # Registers the handlers that keep a history row for writes the database would otherwise make silently.
        from . import signals  # noqa: F401
