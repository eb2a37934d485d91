"""The tasks framework, imported from one place: Django's django.tasks from 6.0 on, the django-tasks backport before."""

try:
    from django.tasks import TaskResultStatus, task, task_backends
except ImportError:  # Django 5.2
    from django_tasks import TaskResultStatus, task, task_backends

__all__ = ["TaskResultStatus", "task", "task_backends"]
