# VideoGen: `make run` starts the local stack, `make test` runs every check.
# Both create the virtualenv and install what they need on first use.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Installs read the locks (requirements/*.lock, hashes required); `make lock` compiles them
# from the human-edited requirements*.txt (infra/locks.py).
LOCK   := requirements/dev.lock
REQS   := $(LOCK) pyproject.toml
STAMP  := $(VENV)/.installed-$(shell cat $(REQS) 2>/dev/null | sha1sum | cut -c1-12)

.PHONY: install run test lint format migrate role fuzz node-tools jdbc jdbc-jar localfs kpis demo clean lock mutate

$(STAMP): $(REQS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps -e .  # the project itself: local, nothing to hash
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

lock: install  ## recompile requirements/*.lock from requirements*.txt (uv, needs the index); LOCKS=ops.lock for some only
	$(BIN)/python infra/locks.py compile $(LOCKS)

run: install jdbc localfs  ## embedded Postgres + migrations + every route on http://127.0.0.1:8000
	$(BIN)/python -m videogen.local

test: install lint chromium node-tools jdbc localfs emr-runtime lambda-runtime  ## lint, the whole suite (KPI job on the EMR runtime too), then the Lambda-runtime run
	$(BIN)/python -m pytest
	$(BIN)/python infra/lambda_runtime.py pytest

fuzz: install  ## Schemathesis against every function's OpenAPI, many examples per operation
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-200} $(BIN)/python -m pytest -q tests/test_fuzz_api.py

mutate: install  ## mutmut over the signature, media, tokens, job repository and recorder modules (slow; not in make test; docs/security.md)
	bash infra/mutate.sh

NODE_TOOLS := node_modules/.package-lock.json

$(NODE_TOOLS): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error

node-tools: $(NODE_TOOLS)  ## osls and the Supabase CLI, pinned in package-lock.json

CHROMIUM ?= /usr/bin/chromium

chromium:  ## Debian's Chromium for the browser tests (Playwright's own download fails here)
	@test -x $(CHROMIUM) || { apt-get update && apt-get install -y chromium; }

JDBC_JAR ?= /usr/share/java/postgresql.jar

jdbc: jdbc-jar  ## Java and Debian's Postgres JDBC driver, for the Spark KPI job (spark.jars)
	@command -v java >/dev/null || { apt-get update && apt-get install -y openjdk-17-jre-headless; }

jdbc-jar:  ## the Postgres JDBC driver alone (make emr-artifacts uploads it; JDBC_JAR=... for another)
	@test -f $(JDBC_JAR) || { apt-get update && apt-get install -y libpostgresql-jdbc-java; }

# Hadoop's local filesystem with chmod as a system call, not a process per file, for local
# runs of the KPI job (emr/localfs/NioLocalFileSystem.java; docs/performance.md, "Write
# phase"). Compiled against the venv's pyspark jars; EMR never loads it.
LOCALFS_JAR := .build/localfs/videogen-localfs.jar

$(LOCALFS_JAR): emr/localfs/NioLocalFileSystem.java $(STAMP)
	@command -v javac >/dev/null || { apt-get update && apt-get install -y openjdk-17-jdk-headless; }
	rm -rf $(dir $@) && mkdir -p $(dir $@)classes
	javac --release 17 -nowarn -d $(dir $@)classes -cp "$$($(BIN)/python -c 'import os, pyspark; print(os.path.join(os.path.dirname(pyspark.__file__), "jars"))')/*" $<
	jar cf $@ -C $(dir $@)classes .

localfs: $(LOCALFS_JAR)  ## the KPI job's local filesystem without a chmod process per file

KPI_DAYS ?= 30

kpis: install jdbc localfs  ## the KPI Spark job on the local database (make run first); KPI_DAYS=30
	$(LOCAL_DB_PASSWORD) $(BIN)/python -m videogen.local.kpis --days $(KPI_DAYS) --database-url "$(LOCAL_DATABASE_URL)"

demo: install jdbc localfs  ## a demo school (admin, teachers, classes, 90 days of jobs) in make run's database, then the KPI job
	$(LOCAL_DB_PASSWORD) $(BIN)/python -m videogen.local.demo --database-url "$(LOCAL_DATABASE_URL)"

lint: install  ## ruff, then mypy --strict over the shared package (pyproject's [tool.mypy])
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

LOCAL_DATABASE_URL ?= postgresql://postgres@127.0.0.1:54322/videogen
# the local superuser's password, made by make run's first start; in the environment (libpq's
# PGPASSWORD), not on a command line that `ps` shows
LOCAL_DB_PASSWORD = PGPASSWORD="$$(cat .data/postgres.password 2>/dev/null)"

role: install  ## make role EMAIL=ada@school.example ROLE=admin|operator [SCHOOL=<uuid>] (local stack running)
	$(LOCAL_DB_PASSWORD) $(BIN)/python -m videogen.auth.roles "$(EMAIL)" "$(ROLE)" $(if $(SCHOOL),--school "$(SCHOOL)") --database-url "$(LOCAL_DATABASE_URL)"

migrate: install  ## apply supabase/migrations to DATABASE_URL (no local bootstrap)
	$(BIN)/python -m videogen.db.migrations

# --- The Lambda runtime under test (docs/architecture.md, "Runtimes under test") -----------
# .venv-lambda: serverless.yml's Python (3.12; from ~/.pyenv/versions/3.12*/bin/python3.12,
# PATH, or LAMBDA_PYTHON=) with test tooling only (requirements/lambda-tests.txt). The
# runtime packages come from the deps layer built for this machine (.build/layer-host/),
# first on the path as /opt/python is in Lambda. Tests opt in with @pytest.mark.lambda_runtime.
.PHONY: lambda-runtime test-lambda
LAMBDA_PYTHON ?=

lambda-runtime: install  ## host-arch deps layer + .venv-lambda [LAMBDA_PYTHON=/path/to/python3.12]
	$(BIN)/python infra/build_layers.py --host
	$(BIN)/python infra/lambda_runtime.py setup $(if $(LAMBDA_PYTHON),--python "$(LAMBDA_PYTHON)")

test-lambda: lambda-runtime  ## only the lambda_runtime tests, on the deployed Python + layer
	$(BIN)/python infra/lambda_runtime.py pytest

# --- The KPI job's EMR runtime (emr/release.json): its Python minor + its Spark, no more ----
# .venv-emr/ runs tests/kpis/test_emr_runtime.py. Python comes from pyenv (EMR_PYTHON= to
# override). No boto3: the job ships it (pydeps.tar.gz, docs/kpis.md, Runtime).
.PHONY: emr-runtime
EMR_RELEASE   := emr/release.json
EMR_PY_MINOR  := $(shell sed -n 's/^ *"python": *"\([0-9.]*\)".*/\1/p' $(EMR_RELEASE))
EMR_SPARK     := $(shell sed -n 's/^ *"spark": *"\([0-9.]*\)".*/\1/p' $(EMR_RELEASE))
PYENV_ROOT    ?= $(HOME)/.pyenv
EMR_PYTHON    ?= $(lastword $(wildcard $(PYENV_ROOT)/versions/$(EMR_PY_MINOR).*/bin/python))
EMR_VENV      := .venv-emr
EMR_STAMP     := $(EMR_VENV)/.installed-py$(EMR_PY_MINOR)-spark$(EMR_SPARK)-only

$(EMR_STAMP): $(EMR_RELEASE) requirements/emr-runtime.lock
	@test -n "$(EMR_PY_MINOR)" -a -n "$(EMR_SPARK)" || { echo "emr-runtime: $(EMR_RELEASE) needs \"python\" and \"spark\""; exit 2; }
	@test -n "$(EMR_PYTHON)" && test -x "$(EMR_PYTHON)" || { echo "emr-runtime: no Python $(EMR_PY_MINOR) (the EMR release's) under $(PYENV_ROOT)/versions/: run 'pyenv install $(EMR_PY_MINOR)' or set EMR_PYTHON=/path/to/python$(EMR_PY_MINOR)"; exit 2; }
	@$(EMR_PYTHON) -c 'import sys; v="%d.%d" % sys.version_info[:2]; sys.exit(0 if v == "$(EMR_PY_MINOR)" else "emr-runtime: $(EMR_PYTHON) is Python " + v + ", the EMR release runs $(EMR_PY_MINOR)")'
	rm -rf $(EMR_VENV)
	$(EMR_PYTHON) -m venv $(EMR_VENV)
	$(EMR_VENV)/bin/pip install --quiet --require-hashes -r requirements/emr-runtime.lock
	touch $@

emr-runtime: $(EMR_STAMP)  ## .venv-emr: the EMR release's Python + pyspark, for the EMR-runtime test

# --- Deployment (docs/deploy.md) ---------------------------------------------------------
# Deploy-only targets run in .venv-ops: boto3, PyYAML, cfn-lint and moto (offline packaging)
# from requirements/ops.lock, without the developer venv's pyspark and Playwright.
.PHONY: ops layers package deploy emr-artifacts network reload-secrets stage-required smoke
OPS_VENV  := .venv-ops
OPS_BIN   := $(OPS_VENV)/bin
OPS_STAMP := $(OPS_VENV)/.installed-$(shell cat requirements/ops.lock 2>/dev/null | sha1sum | cut -c1-12)
STAGE  ?=
REGION ?= eu-west-3
# serverless.yml `params` to override for one deploy, e.g. PARAMS="snapStart=true"
# (docs/performance.md); per-stage values live in SSM /videogen/<stage>/config/<name>.
PARAMS ?=
OSLS_PARAMS := $(foreach p,$(PARAMS),--param=$(p))
# FORCE=1: osls deploys even when it finds the template and code unchanged (--force), e.g.
# after an interrupted deploy. CloudFormation still leaves unchanged functions alone, so
# warm ones keep their secrets: `make reload-secrets` makes them read changed secrets.
FORCE ?=

$(OPS_STAMP): requirements/ops.lock
	test -x $(OPS_BIN)/python || $(PYTHON) -m venv $(OPS_VENV)
	$(OPS_BIN)/pip install --quiet --require-hashes -r requirements/ops.lock
	rm -f $(OPS_VENV)/.installed-*
	touch $@

ops: $(OPS_STAMP)  ## .venv-ops: the deploy-only tooling (requirements/ops.lock)

# First prerequisite of the targets that act on a deployed stage: fails before anything runs.
stage-required:
	@test -n "$(STAGE)" || { echo "usage: make $(firstword $(MAKECMDGOALS)) STAGE=<stage> [REGION=...]"; exit 2; }

layers: ops  ## the Lambda dependency layer, built into layers/deps/ (never committed)
	$(OPS_BIN)/python infra/build_layers.py

package: ops  ## offline (moto): template + zips in .serverless/, cfn-lint (all templates), size table
	$(OPS_BIN)/python infra/package.py --allow-missing --region $(REGION) $(OSLS_PARAMS)

deploy: stage-required ops  ## make deploy STAGE=prod [REGION=eu-west-3] [FORCE=1]: the real deploy (AWS credentials)
	$(OPS_BIN)/python infra/package.py --aws --stage $(STAGE) --region $(REGION) --out .serverless-preflight $(OSLS_PARAMS)
	SLS_TELEMETRY_DISABLED=1 node_modules/.bin/osls deploy --stage $(STAGE) --region $(REGION) --verbose $(if $(FORCE),--force) $(OSLS_PARAMS)

emr-artifacts: ops jdbc-jar  ## make emr-artifacts STAGE=prod (or BUCKET=...): KPI job code + JDBC jar to S3
	@test -n "$(STAGE)$(BUCKET)" || { echo "usage: make emr-artifacts STAGE=<stage> (or BUCKET=<bucket>) [REGION=...]"; exit 2; }
	$(OPS_BIN)/python infra/emr_artifacts.py $(if $(BUCKET),--bucket $(BUCKET),--stage $(STAGE)) --region $(REGION) --jdbc-jar $(JDBC_JAR)

network: stage-required ops  ## make network STAGE=prod: the KPI job's VPC stack (one NAT: fixed monthly cost, infra/network.yml) + its SSM ids
	$(OPS_BIN)/python infra/network.py --stage $(STAGE) --region $(REGION)

reload-secrets: stage-required ops  ## make reload-secrets STAGE=prod: every function starts new environments that read the SSM secrets again
	$(OPS_BIN)/python infra/reload_secrets.py --stage $(STAGE) --region $(REGION)

# The end-to-end check of a deployment (docs/deploy.md, "Smoke test"): SMOKE_EMAIL and
# SMOKE_PASSWORD name the smoke account. Without STAGE, `make run`'s stack: the local smoke
# account is made (registered, admin) first. SMOKE_ARGS="--skip-kpis" etc. pass flags on.
SMOKE_ARGS ?=
LOCAL_API_URL ?= http://127.0.0.1:$(or $(LOCAL_PORT),8000)

smoke: $(if $(STAGE),ops,install)  ## make smoke STAGE=prod [REGION=...]: a deployment end to end; without STAGE, `make run`'s stack
	$(if $(STAGE),$(OPS_BIN)/python -m infra.smoke --stage $(STAGE) --region $(REGION),$(LOCAL_DB_PASSWORD) $(BIN)/python -m infra.smoke_local --api-url $(LOCAL_API_URL) --database-url "$(LOCAL_DATABASE_URL)") $(SMOKE_ARGS)

# The web client (docs/deploy.md, docs/web.md): its stack before the API (the API's CORS
# origin is the distribution's domain), its files after (config.js from the API's URL).
.PHONY: web-infra web
WEB_ORIGIN ?=

web-infra: stage-required ops  ## make web-infra STAGE=prod [WEB_ORIGIN=https://...]: bucket + CloudFront (infra/web.yml), origin into SSM web-origin
	$(OPS_BIN)/python infra/web_deploy.py --stage $(STAGE) --region $(REGION) --infra-only $(if $(WEB_ORIGIN),--web-origin $(WEB_ORIGIN))

web: stage-required ops  ## make web STAGE=prod: config.js generated from the API stack, web/ to S3, CloudFront invalidated
	$(OPS_BIN)/python infra/web_deploy.py --stage $(STAGE) --region $(REGION) $(if $(WEB_ORIGIN),--web-origin $(WEB_ORIGIN))

clean:
	rm -rf $(VENV) .venv-lambda .venv-ops .build .pytest_cache .ruff_cache .mypy_cache
