"""Template filters of the projects on vacated land (换鸟)."""

from django import template

from ..choices import ProjectStage

register = template.Library()


@register.filter
def project_stage_label(value: int | None) -> str:
    """Return the translated label of the project stage stored as VALUE, or "" before any stage."""
    if not value:
        return ""
    return ProjectStage(int(value)).label
