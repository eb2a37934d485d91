"""Preparing a size: the base database (built once per code fingerprint), the generated enterprises, counts and subjects."""

import hashlib
import time
from pathlib import Path

from django.apps import apps
from django.core.management import get_commands
from django.db.migrations.loader import MigrationLoader

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
                    "--towns", str(config.towns), "--seed", "1", "--json")
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


def pick_subjects(database_url: str) -> dict[str, int]:
    """Return the town with the most sites and the site with the most enterprises, and how many."""
    town, sites = fetch(
        database_url, "SELECT town_id, count(*) FROM clearance_site GROUP BY town_id ORDER BY 2 DESC, 1 LIMIT 1"
    )[0]
    site, enterprises = fetch(
        database_url, "SELECT site_id, count(*) FROM clearance_enterprise GROUP BY site_id ORDER BY 2 DESC, 1 LIMIT 1"
    )[0]
    return {"town": town, "town_sites": sites, "site": site, "site_enterprises": enterprises}
