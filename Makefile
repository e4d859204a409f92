# VideoGen: `make run` starts the local stack, `make test` runs every check.
# Both create the virtualenv and install what they need on first use.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
REQS   := requirements.txt $(wildcard requirements/*.txt) pyproject.toml
STAMP  := $(VENV)/.installed-$(shell cat $(REQS) 2>/dev/null | sha1sum | cut -c1-12)

.PHONY: install run test lint format migrate role fuzz node-tools jdbc kpis clean

$(STAMP): $(REQS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps -e .
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

run: install jdbc  ## embedded Postgres + migrations + every route on http://127.0.0.1:8000
	$(BIN)/python -m videogen.local

test: install lint chromium node-tools jdbc  ## lint, format check, then the whole test suite
	$(BIN)/python -m pytest

fuzz: install  ## Schemathesis against every function's OpenAPI, many examples per operation
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-200} $(BIN)/python -m pytest -q tests/test_fuzz_api.py

NODE_TOOLS := node_modules/.package-lock.json

$(NODE_TOOLS): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error

node-tools: $(NODE_TOOLS)  ## osls and the Supabase CLI, pinned in package-lock.json

CHROMIUM ?= /usr/bin/chromium

chromium:  ## Debian's Chromium for the browser tests (Playwright's own download fails here)
	@test -x $(CHROMIUM) || { apt-get update && apt-get install -y chromium; }

JDBC_JAR ?= /usr/share/java/postgresql.jar

jdbc:  ## Java and Debian's Postgres JDBC driver, for the Spark KPI job (spark.jars)
	@command -v java >/dev/null || { apt-get update && apt-get install -y openjdk-17-jre-headless; }
	@test -f $(JDBC_JAR) || { apt-get update && apt-get install -y libpostgresql-jdbc-java; }

KPI_DAYS ?= 30

kpis: install jdbc  ## the KPI Spark job on the local database (make run first); KPI_DAYS=30
	$(BIN)/python -m videogen.local.kpis --days $(KPI_DAYS) --database-url "$(LOCAL_DATABASE_URL)"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

LOCAL_DATABASE_URL ?= postgresql://postgres@127.0.0.1:54322/videogen

role: install  ## make role EMAIL=ada@school.example ROLE=admin (local stack must be running)
	$(BIN)/python -m videogen.auth.roles "$(EMAIL)" "$(ROLE)" --database-url "$(LOCAL_DATABASE_URL)"

migrate: install  ## apply supabase/migrations to DATABASE_URL (no local bootstrap)
	$(BIN)/python -m videogen.db.migrations

# --- Deployment (docs/deploy.md) ---------------------------------------------------------
.PHONY: layers package deploy emr-artifacts
STAGE  ?=
REGION ?= eu-west-3

layers: install  ## the Lambda dependency layer, built into layers/deps/ (never committed)
	$(BIN)/python infra/build_layers.py

package: install  ## offline (moto): template + zips in .serverless/, cfn-lint, size table
	$(BIN)/python infra/package.py --allow-missing --region $(REGION)

deploy: install  ## make deploy STAGE=prod [REGION=eu-west-3]: the real deploy (AWS credentials)
	@test -n "$(STAGE)" || { echo "usage: make deploy STAGE=<stage> [REGION=...]"; exit 2; }
	$(BIN)/python infra/package.py --aws --stage $(STAGE) --region $(REGION) --out .serverless-preflight
	SLS_TELEMETRY_DISABLED=1 node_modules/.bin/osls deploy --stage $(STAGE) --region $(REGION) --verbose

emr-artifacts: install  ## make emr-artifacts STAGE=prod (or BUCKET=...): KPI job code + JDBC jar to S3
	$(BIN)/python infra/emr_artifacts.py $(if $(BUCKET),--bucket $(BUCKET),--stage $(STAGE)) --region $(REGION)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
