"""Template filters for showing campaign data with Bootstrap; none of them touches the database."""

from django import forms, template
from django.forms.boundfield import BoundField

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
