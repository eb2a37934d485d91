"""Form widgets rendered in Python where the template language costs a page too much."""

from django import forms
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.timezone import template_localtime


class OnePassSelect(forms.Select):
    """A select rendered in Python exactly as Django's select.html, select_option.html and attrs.html render it.

    Why: through the template language each option is an include; the project list's hundred towns took 16 ms of
    the page. tests/views/test_one_pass_select.py holds it to the stock rendering.
    """

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        html = [f'<select name="{_shown(widget["name"])}"{_attrs_html(widget["attrs"])}>']
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                html.append(f'\n  <optgroup label="{_shown(group_name)}">')
            html.extend(
                f'\n  <option value="{_shown("%s" % option["value"])}"{_attrs_html(option["attrs"])}>'
                f'{_shown(option["label"])}</option>\n'  # select_option.html ends with a newline
                for option in options
            )
            if group_name:
                html.append("\n  </optgroup>")
        html.append("\n</select>")
        return mark_safe("".join(html))


def _shown(value) -> str:
    """VALUE as {{ value }} shows it in a template: localized, escaped."""
    return conditional_escape(localize(template_localtime(value)))


def _attrs_html(attrs: dict) -> str:
    """ATTRS as django/forms/widgets/attrs.html renders them: ` name="value"`, a bare name for True, none for False."""
    return "".join(
        f" {_shown(name)}" if value is True else f' {_shown(name)}="{_shown("%s" % value)}"'
        for name, value in attrs.items() if value is not False
    )
