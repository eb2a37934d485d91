from django.apps import AppConfig


class PerfConfig(AppConfig):
    """Development tools: the benchmark, the large data generator and the timing headers; production never loads it."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "perf"
    verbose_name = "Performance tools"
