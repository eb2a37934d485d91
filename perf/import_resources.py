"""Plain django-import-export resources for sites, enterprises and events: the baseline bench_import --compare times."""

from import_export import fields, resources
from import_export.widgets import CharWidget, ForeignKeyWidget

from clearance.models import Enterprise, Event, Site, Town

# What an admin would write first: references by name, the natural keys as import ids,
# the library's defaults otherwise (a diff per row, no model validation, one save() per row).


class SiteResource(resources.ModelResource):
    town = fields.Field(attribute="town", column_name="town", widget=ForeignKeyWidget(Town, "name"))
    parent = fields.Field(attribute="parent", column_name="parent", widget=ForeignKeyWidget(Site, "name"))

    class Meta:
        model = Site
        import_id_fields = ("town", "name")
        fields = ("town", "name", "area_mu", "parent", "land_use")


class EnterpriseResource(resources.ModelResource):
    town = fields.Field(attribute="town", column_name="town", widget=ForeignKeyWidget(Town, "name"))
    site = fields.Field(attribute="site", column_name="site", widget=ForeignKeyWidget(Site, "name"))
    # Blank as NULL, not "": the code is unique where given. The one change the defaults cannot do without.
    credit_code = fields.Field(attribute="credit_code", column_name="credit_code", widget=CharWidget(allow_blank=False))

    class Meta:
        model = Enterprise
        import_id_fields = ("town", "name")
        fields = (
            "town", "name", "credit_code", "site", "is_two_high_one_low", "is_high_consumption", "is_low_scattered",
            "is_factory_in_factory", "is_tenant", "disposal", "annual_energy_tce", "energy_freed_tce",
        )


class EventResource(resources.ModelResource):
    enterprise = fields.Field(
        attribute="enterprise", column_name="enterprise", widget=ForeignKeyWidget(Enterprise, "name")
    )
    site = fields.Field(attribute="site", column_name="site", widget=ForeignKeyWidget(Site, "name"))

    class Meta:
        model = Event
        import_id_fields = ("enterprise", "site", "stage")
        fields = ("enterprise", "site", "stage", "occurred_on")
