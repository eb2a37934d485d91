"""Preparing a size: the base database (built once per code fingerprint), the generated enterprises, counts and subjects."""

import hashlib
import time
from pathlib import Path

from django.apps import apps
from django.core.management import get_commands
from django.db.migrations.loader import MigrationLoader

from ..scale import town_prefix
from .config import BenchConfig
from .measure import last_json
from .database import database_name, fetch, quote_name, recreate_database, server_execute, with_database
from .server import manage


def base_fingerprint() -> str:
    """Return a digest of what the base database is built from: every migration and the app's code (the demo, the rollup)."""
    digest = hashlib.sha256()
    loader = MigrationLoader(None, ignore_no_migrations=True)
    for app, name in sorted(loader.disk_migrations):
        digest.update(f"{app}.{name};".encode())
    # The clearance app builds the base (its models, the demo, the rollup); this app builds nothing of it.
    app_folder = Path(apps.get_app_config("clearance").path)
    for path in sorted(app_folder.rglob("*.py")):
        digest.update(str(path.relative_to(app_folder)).encode() + path.read_bytes())
    return digest.hexdigest()


def prepare_base(config: BenchConfig) -> str:
    """Build the template database, migrated and with the demo and its users; with reuse_base keep one built from the same code."""
    base_url = with_database(config.database_url, database_name(config.database_url) + "_base")
    name = database_name(base_url)
    fingerprint = f"bench base {base_fingerprint()}"
    if config.reuse_base:
        found = server_execute(
            base_url, "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", params=[name]
        )
        if found and found[0][0] == fingerprint:
            config.log("base database built from the same code: reused")
            return base_url
    config.log("building the base database: migrate, load_demo")
    recreate_database(base_url)
    # Only the template is built without waiting for each commit to reach the disk; copies keep the default.
    server_execute(base_url, f"ALTER DATABASE {quote_name(name)} SET synchronous_commit = off")
    manage(base_url, "migrate", "--no-input", "-v", "0")
    manage(base_url, "load_demo")
    # Marked only once complete, so a base whose build failed is never reused.
    server_execute(base_url, f"COMMENT ON DATABASE {quote_name(name)} IS '{fingerprint}'")
    return base_url


# generate_scale's seed: the generated towns' names start with town_prefix(GENERATION_SEED).
GENERATION_SEED = 1


def generate(config: BenchConfig, size: int) -> dict:
    """Copy the base into the bench database and add SIZE generated enterprises (and SIZE evaluated enterprises,
    with two scored years, unless CONFIG.evaluation is off); return the generation's timing, the campaign's apart."""
    recreate_database(config.database_url, template=database_name(config.database_url) + "_base")
    if "generate_scale" not in get_commands():
        config.log("generate_scale is not available: measuring the demo data only")
        return {"enterprises": size, "seconds": None, "per_minute": None, "note": "generate_scale missing"}
    evaluated = size if config.evaluation else 0
    config.log(f"generate_scale --enterprises {size} --evaluated {evaluated} --towns {config.towns}")
    start = time.perf_counter()
    result = manage(config.database_url, "generate_scale", "--enterprises", str(size), "--evaluated", str(evaluated),
                    "--towns", str(config.towns), "--seed", str(GENERATION_SEED), "--json")
    seconds = time.perf_counter() - start
    reported = last_json(result.stdout)
    # The goal is about the campaign's enterprises: the evaluation's rows and their scoring are timed apart.
    evaluation_seconds = reported.get("evaluation_seconds", 0.0) + reported.get("scoring_seconds", 0.0)
    campaign_seconds = seconds - evaluation_seconds
    return {"enterprises": size, "seconds": seconds, "per_minute": size / campaign_seconds * 60,
            "evaluated": evaluated, "evaluation_seconds": reported.get("evaluation_seconds"),
            "scoring_seconds": reported.get("scoring_seconds")}



def database_counts(database_url: str) -> dict[str, int]:
    tables = {"towns": "clearance_town", "sites": "clearance_site", "enterprises": "clearance_enterprise",
              "events": "clearance_event"}
    return {key: fetch(database_url, f"SELECT count(*) FROM {table}")[0][0] for key, table in tables.items()}


def pick_subjects(database_url: str) -> dict[str, int | None]:
    """Return the subjects of the pages, each the largest of its kind (ties to the lowest id), and their sizes.

    The generated town with the most sites (its page and its board: a town of the same kind at both sizes, where the
    demo's towns, with task forces whose members their page lists, would be the largest at the small size), the site
    with the most enterprises, the latest evaluated
    year and its town with the most evaluated enterprises (as bench_evaluation picks it), the evaluated enterprise
    with the most years (then adjustments) and the 换鸟 project with the most parcels (then events). A kind with no
    row at all gives None: its pages are not measured.
    """
    town, sites = first_row(fetch(
        database_url, "SELECT s.town_id, count(*) FROM clearance_site s JOIN clearance_town t ON t.id = s.town_id "
        "WHERE t.name LIKE %s GROUP BY s.town_id ORDER BY 2 DESC, 1 LIMIT 1", [town_prefix(GENERATION_SEED) + "%"],
    ), 2)
    site, enterprises = fetch(
        database_url, "SELECT site_id, count(*) FROM clearance_enterprise GROUP BY site_id ORDER BY 2 DESC, 1 LIMIT 1"
    )[0]
    year = fetch(database_url, "SELECT max(year) FROM clearance_indicatorrow")[0][0]
    evaluation_town, evaluation_rows = first_row(fetch(
        database_url,
        "SELECT e.town_id, count(*) FROM clearance_indicatorrow r JOIN clearance_evaluatedenterprise e "
        "ON e.id = r.enterprise_id WHERE r.year = %s GROUP BY e.town_id ORDER BY 2 DESC, 1 LIMIT 1", [year],
    ), 2)
    evaluated, evaluated_years = first_row(fetch(
        database_url,
        "SELECT r.enterprise_id, count(*) AS years, coalesce(max(a.n), 0) AS adjustments FROM clearance_indicatorrow r "
        "LEFT JOIN (SELECT enterprise_id, count(*) AS n FROM clearance_adjustment GROUP BY enterprise_id) a "
        "ON a.enterprise_id = r.enterprise_id GROUP BY r.enterprise_id ORDER BY years DESC, adjustments DESC, 1 LIMIT 1",
    ), 2)
    project, project_parcels = first_row(fetch(
        database_url,
        "SELECT p.id, (SELECT count(*) FROM clearance_projectsite ps WHERE ps.project_id = p.id) AS parcels, "
        "(SELECT count(*) FROM clearance_projectevent pe WHERE pe.project_id = p.id) AS events "
        "FROM clearance_project p ORDER BY parcels DESC, events DESC, p.id LIMIT 1",
    ), 2)
    return {"town": town, "town_sites": sites, "site": site, "site_enterprises": enterprises,
            "evaluation_year": year, "evaluation_town": evaluation_town, "evaluation_town_rows": evaluation_rows,
            "evaluated": evaluated, "evaluated_years": evaluated_years, "project": project,
            "project_parcels": project_parcels}


def first_row(rows: list[tuple], width: int) -> tuple:
    """The first WIDTH columns of the first of ROWS, or as many Nones when there is none."""
    return rows[0][:width] if rows else (None,) * width
