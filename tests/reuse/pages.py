"""What the tests of the project pages share: a vacated parcel of the world's town, a photo, the forms' data."""

import io
import re
from datetime import date

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from clearance import services
from clearance.choices import Stage

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def png(name: str = "project.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (2, 2), "blue").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def vacate(site, on: date = date(2022, 5, 1)):
    """Record SITE's 腾退 (a site with no enterprises on it)."""
    return services.event_record(site=site, stage=Stage.VACATED, on=on, user=None)


def investment(**extra) -> dict:
    """The project form's data for a 招商项目."""
    return {
        "name": "嘉创智谷", "kind": "investment", "investor": "嘉兴创投", "industry": "智能制造",
        "committed_investment_wan": "52000", "committed_tax_per_mu_wan": "30",
        "committed_start_on": "2022-09-01", "committed_production_on": "2023-06-30",
        "committed_full_production_on": "2024-12-31", "notes": "",
        **extra,
    }


def record(client, project, stage, on: str, **extra):
    return client.post(reverse("clearance:project_event_create", args=[project.pk]),
                       {"stage": str(int(stage)), "occurred_on": on, "note": "", "phase": "during", **extra})


def take_land(client, project, site, area: str):
    project.refresh_from_db()
    return client.post(reverse("clearance:project_land", args=[project.pk]),
                       {"site": str(site.pk), "area_mu": area, "version": str(project.version)})


def form_errors(response) -> list[str]:
    form = response.context["form"]
    return [str(message) for messages in form.errors.values() for message in messages]
