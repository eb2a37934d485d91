# The project's commands: `make run` serves the demo, `make test` runs the suite.
# Needs only GNU make and Python 3.11+; everything else goes into .venv.

PYTHON ?= python3
VENV = .venv
VPY = $(VENV)/bin/python
# Touched after each install, so requirements are installed again only when
# requirements.txt or requirements-dev.txt is newer than the last install. The
# development requirements (tests, the benchmark's baseline) come with the runtime
# ones: a production install takes requirements.txt alone.
STAMP = $(VENV)/.requirements-installed
ADDRESS = 127.0.0.1:8000

.DEFAULT_GOAL := help
.PHONY: help venv run test check messages

help:
	@echo "make run       create .venv, migrate, load the demo and serve http://$(ADDRESS) (with the task worker)"
	@echo "make test      run the test suite (PostgreSQL when DATABASE_URL is set, else SQLite);"
	@echo "               extra pytest arguments: make test ARGS=\"-m 'not browser'\""
	@echo "make check     Django's system checks and makemigrations --check"
	@echo "make messages  update and compile the translations (needs gettext)"
	@echo "make backup    the database and the photos in one archive: make backup [BACKUP=file.tar.gz]"
	@echo "make restore   restore an archive: make restore BACKUP=file.tar.gz [FORCE=1 to replace existing data]"
	@echo "make soak      30 minutes of mixed traffic against gunicorn (PostgreSQL and Redis needed): make soak"
	@echo "               [SOAK_MINUTES=30] [SOAK_ARGS=...]; the task worker runs beside gunicorn; report in soak-report.md"
	@echo "make lighthouse Lighthouse (mobile preset, tools/lighthouse/, npm ci when missing) with Debian's Chromium on"
	@echo "               every page a user opens, signed in, against gunicorn as in production with the demo: one"
	@echo "               table of scores, LCP, TBT and bytes, then the failing audits. [LIGHTHOUSE_ARGS=\"--pages board\"]"

$(VPY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt requirements-dev.txt | $(VPY)
	$(VPY) -m pip install --disable-pip-version-check --quiet -r requirements-dev.txt
	@touch $@

venv: $(STAMP)

# The development server: DEBUG on unless the caller chose, so that no
# SECRET_KEY is needed (settings refuse to start without one when DEBUG is off).
run check messages: export DEBUG ?= 1

run: $(STAMP)
	$(VPY) manage.py migrate --no-input
	$(VPY) manage.py load_demo
	@echo ""
	@echo "  平湖市腾笼换鸟 clearance tracker: http://$(ADDRESS)/"
	@echo "  Demo users (password demo-pass-2022):"
	@echo "    admin     管理员 admin: everything, incl. /admin/"
	@echo "    leader    领导 leader: reads the dashboard and every page"
	@echo "    official  曹桥街道专班 official: records progress for 曹桥街道"
	@echo ""
	@# The background task worker (ledger imports from the web) beside the server, stopped with it.
	$(VPY) manage.py db_worker --interval 1 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(VPY) manage.py runserver $(ADDRESS)

test: $(STAMP)
	$(VPY) -m pytest $(ARGS)

check: $(STAMP)
	$(VPY) manage.py check
	$(VPY) manage.py makemigrations --check --dry-run

messages: $(STAMP)
	$(VPY) manage.py makemessages -l zh_Hans -l en --ignore=.venv
	$(VPY) manage.py compilemessages --ignore=.venv

# Backups: the database (pg_dump, or a safe copy of the SQLite file) and MEDIA_ROOT
# in one .tar.gz; BACKUP names the file (default backups/pinghu-<time>.tar.gz).
# Restoring refuses a database or media folder that holds data unless FORCE=1.
.PHONY: backup restore

# Checked before anything is installed or run.
ifneq ($(filter restore,$(MAKECMDGOALS)),)
ifeq ($(BACKUP),)
$(error usage: make restore BACKUP=file.tar.gz [FORCE=1])
endif
endif

backup: $(STAMP)
	$(VPY) manage.py backup $(if $(BACKUP),--output "$(BACKUP)")

restore: $(STAMP)
	$(VPY) manage.py restore "$(BACKUP)" $(if $(filter 1 yes true,$(FORCE)),--force)

# The soak test (docs/performance.md#soak): gunicorn on a database of its own (pinghu_soak, dropped and
# recreated; SOAK_DATABASE_URL overrides) with Redis, 16 clients for SOAK_MINUTES; fails when a goal is missed.
.PHONY: soak
SOAK_MINUTES ?= 30
SOAK_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/pinghu_soak

soak: export DEBUG ?= 1
soak: $(STAMP)
	$(VPY) manage.py soak --minutes $(SOAK_MINUTES) --database-url "$(SOAK_DATABASE_URL)" --markdown soak-report.md $(SOAK_ARGS)

# Lighthouse (docs/performance.md, "The browser bench and Lighthouse"): the version pinned by tools/lighthouse's
# package-lock.json, installed by `npm ci` when node_modules is missing or older than the lock file.
.PHONY: lighthouse
LIGHTHOUSE_DIR = tools/lighthouse
# npm ci writes this copy of the lock file last.
LIGHTHOUSE_INSTALLED = $(LIGHTHOUSE_DIR)/node_modules/.package-lock.json

$(LIGHTHOUSE_INSTALLED): $(LIGHTHOUSE_DIR)/package.json $(LIGHTHOUSE_DIR)/package-lock.json
	cd $(LIGHTHOUSE_DIR) && npm ci --no-audit --no-fund
	@touch $@

lighthouse: export DEBUG ?= 1
lighthouse: $(STAMP) $(LIGHTHOUSE_INSTALLED)
	$(VPY) manage.py lighthouse $(LIGHTHOUSE_ARGS)
