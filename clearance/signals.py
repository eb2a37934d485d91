"""Writes the database would make past simple_history (ON DELETE SET NULL), made by save() to keep their history."""

from django.db.models.signals import pre_delete
from django.dispatch import receiver

from .models import AttackGroup, Enterprise


@receiver(pre_delete, sender=AttackGroup)
def attack_group_release_enterprises(sender, instance: AttackGroup, **kwargs) -> None:
    """Take a deleted attack group off its enterprises one by one, each with a history row and a new version.

    Django would clear responsible_group with one UPDATE, which writes no history: the enterprise
    would lose its group with nobody named. The user comes from the request (HistoryRequestMiddleware).
    """
    for enterprise in Enterprise.objects.filter(responsible_group=instance).order_by("pk"):
        enterprise.responsible_group = None
        enterprise.version += 1
        enterprise.save(update_fields=["responsible_group", "version"])
