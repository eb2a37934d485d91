"""Template filters for showing campaign data with Bootstrap; none of them touches the database."""

from django import forms, template
from django.forms.boundfield import BoundField
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from ..choices import Stage

register = template.Library()


def _bootstrap_class(widget: forms.Widget) -> str:
    if isinstance(widget, (forms.CheckboxInput, forms.RadioSelect, forms.CheckboxSelectMultiple)):
        return "form-check-input"
    if isinstance(widget, forms.Select):
        return "form-select"
    return "form-control"


@register.filter
def bootstrap_widget(field: BoundField) -> str:
    """Render FIELD's widget with Bootstrap's class, marked invalid when the field has errors."""
    widget = field.field.widget
    classes = [widget.attrs.get("class", ""), _bootstrap_class(widget)]
    if field.errors:
        classes.append("is-invalid")
    # Django adds aria-invalid and aria-describedby ("<id>_helptext <id>_error") itself; _field.html uses those ids.
    return field.as_widget(attrs={"class": " ".join(name for name in classes if name)})


@register.filter
def stage_label(value: int | None) -> str:
    """Return the translated label of the stage stored as VALUE, or "" before any stage (None or 0)."""
    if not value:
        return ""
    return Stage(int(value)).label


GRADE_COLOURS = {"A": "text-bg-success", "B": "text-bg-info", "C": "text-bg-warning", "D": "text-bg-danger"}


@register.simple_tag
def grade_badge(grade: str, exempt: bool = False) -> str:
    """Return an evaluation class as a coloured badge (A green … D red); 不定等级 when EXEMPT, a dash when not graded."""
    if grade:
        return format_html('<span class="badge {}" data-grade="{}">{}</span>', GRADE_COLOURS[grade], grade, grade)
    if exempt:
        return format_html('<span class="badge text-bg-light border" data-grade="exempt">{}</span>', _("Not graded"))
    return mark_safe('<span class="text-secondary" data-grade="">—</span>')
