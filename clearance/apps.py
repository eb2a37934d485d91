from django.apps import AppConfig


class ClearanceConfig(AppConfig):
    default_auto_field = 'django.db.models.BigAutoField'
    name = 'clearance'

    def ready(self):
        # Registers the signal handlers that keep the monthly rollup in step with every write.
        from .derived import rollup  # noqa: F401
        # And the site tree's closure table in step with every site's parent.
        from .derived import site_tree  # noqa: F401
