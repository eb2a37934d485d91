"""The register of order's list: every item, filtered, sorted, paginated and exportable."""

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ..models import RegisterItem


def _subject_url(record) -> str:
    return record.subject.get_absolute_url()


class _DateColumn(tables.Column):
    def render(self, value):
        return value.isoformat()

    def value(self, value):
        return value.isoformat() if value else ""


class RegisterTable(tables.Table):
    """Items with town, subject, kind, dates, the responsible group and how each was resolved; an edit link for
    those who may write for the item's town (WRITABLE_TOWN_IDS)."""

    raised_on = _DateColumn(verbose_name=_("Date raised"), attrs={"td": {"class": "text-nowrap"}})
    town = tables.Column(verbose_name=_("Township"), order_by=("town__display_order", "town__name"))
    kind = tables.Column(verbose_name=pgettext_lazy("register", "Kind"), attrs={"td": {"class": "text-nowrap"}})
    subject = tables.Column(verbose_name=_("Site or enterprise"), empty_values=(), linkify=_subject_url,
                            order_by=("site__name", "enterprise__name"), attrs={"td": {"class": "cell-name"}})
    description = tables.Column(verbose_name=_("Description"), orderable=False, attrs={"td": {"class": "cell-wrap"}})
    responsible_group = tables.Column(verbose_name=_("Responsible attack group"), order_by=("responsible_group__name",))
    resolved_on = _DateColumn(verbose_name=_("Date resolved"), attrs={"td": {"class": "text-nowrap"}})
    resolution = tables.Column(verbose_name=_("How it was resolved"), orderable=False,
                               attrs={"td": {"class": "cell-wrap"}})
    action = tables.Column(verbose_name="", empty_values=(), orderable=False, exclude_from_export=True)

    class Meta:
        model = RegisterItem
        fields = ("raised_on", "town", "kind", "subject", "description", "responsible_group", "resolved_on",
                  "resolution", "action")
        attrs = {"class": "table table-sm table-hover align-middle", "data-table": "register"}
        empty_text = _("No items match.")

    def __init__(self, *args, writable_town_ids=frozenset(), **kwargs):
        self.writable_town_ids = writable_town_ids
        super().__init__(*args, **kwargs)

    def render_kind(self, record):
        return record.get_kind_display()

    def value_kind(self, record):
        return str(record.get_kind_display())

    def render_subject(self, record):
        return str(record.subject)

    def value_subject(self, record):
        return str(record.subject)

    def render_action(self, record):
        if record.town_id not in self.writable_town_ids:
            return ""
        label = _("Edit or resolve") if record.is_open else _("Edit")
        return format_html('<a class="btn btn-sm btn-outline-primary text-nowrap" href="{}" data-edit-item>{}</a>',
                           reverse("clearance:register_item_update", args=[record.pk]), label)
