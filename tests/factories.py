"""Small builders for tests: reference rows by factory_boy, progress through the services."""

from datetime import date
from decimal import Decimal

import factory

from clearance import services
from clearance.choices import Disposal, Stage, TownKind
from clearance.models import Bureau, BureauHead, Enterprise, Site, Town


class TownFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Town
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"测试镇{n:03d}")
    kind = TownKind.TOWN


class BureauFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Bureau
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"测试局{n:03d}")


class BureauHeadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BureauHead

    name = factory.Sequence(lambda n: f"局长{n:03d}")
    bureau = factory.SubFactory(BureauFactory)


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    town = factory.SubFactory(TownFactory)
    name = factory.Sequence(lambda n: f"地块{n:04d}")
    area_mu = Decimal("10.00")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # Through the service, as the pages: it keeps the site tree and the monthly rollup.
        return services.site_create(user=None, **kwargs)


class EnterpriseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enterprise

    site = factory.SubFactory(SiteFactory)
    town = factory.SelfAttribute("site.town")
    name = factory.Sequence(lambda n: f"企业{n:04d}")
    disposal = Disposal.VACATE
    energy_freed_tce = Decimal("0")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # Through the service, as the pages: the enterprise takes its site's town.
        town = kwargs.pop("town")
        enterprise = services.enterprise_create(user=None, **kwargs)
        assert enterprise.town == town, "an enterprise is in its site's town"
        return enterprise


def close_out(enterprise: Enterprise, *, signed: date, vacated: date, closed: date | None = None, user=None):
    """Record 签约, 腾退 and (when CLOSED is given) 销号 for ENTERPRISE through the services."""
    services.event_record(enterprise=enterprise, stage=Stage.SIGNED, on=signed, user=user)
    services.event_record(enterprise=enterprise, stage=Stage.VACATED, on=vacated, user=user)
    if closed is not None:
        services.event_record(enterprise=enterprise, stage=Stage.CLOSED, on=closed, user=user)


def paired_town(*, town: Town | None = None, started_on: date = date(2022, 1, 1)):
    """Return a town with an active pairing and its task force."""
    town = town or TownFactory()
    head = BureauHeadFactory()
    pairing = services.pairing_start(town=town, head=head, started_on=started_on)
    return town, pairing
