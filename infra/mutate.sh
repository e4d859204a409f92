#!/usr/bin/env bash
# make mutate: mutmut over the security-critical modules, one module at a time with the
# tests that reach its code. Not part of make test; figures and survivors: docs/security.md.
# (The SQL step, infra/mutate_sql.py, mutated the counting quota's statements; budgets
# replaced them with SQL functions in a migration (issue 16), so it was retired with them.)
#
# mutmut 3 imports mutated code only from ./, src/ or source/, so each module's run stages
# the shared package as src/videogen in .mutmut/<module>/ beside links to the repository's
# other folders (the tests find functions/, supabase/ and the sample video there).
# mutmut maps tests to mutants by *function* (the tests that called it during its stats run),
# not by line: a test that calls a function but leaves it early (download() refusing the URL
# on its first line) is run against every mutant of that function and cannot kill the ones
# below that line. A selection must therefore reach the code, not merely call it.
#
# MUTATE_MODULES (paths under videogen/) narrows the modules; MUTATE_TESTS replaces every
# module's selection; MUTATE_MINUTES caps each module's mutmut run (default 15): past it no
# further mutant starts (infra/mutmut_capped.py), the rest stay "not checked".
# MUTATE_RUN=0 only reports the last run of each module.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BASE=${MUTATE_DIR:-$ROOT/.mutmut}
MINUTES=${MUTATE_MINUTES:-15}
MODULES=${MUTATE_MODULES:-"webhooks/signature.py webhooks/media.py auth/tokens.py generations/repository.py webhooks/recorder.py"}

# The tests that reach each module's code (the whole suite is too slow: each mutant starts
# its own Postgres and S3 server, ~6 s, before its tests).
selection() {
  case "$1" in
    webhooks/signature.py) echo "tests/webhooks/test_signature.py tests/webhooks/test_webhooks.py" ;;
    webhooks/media.py) echo "tests/webhooks/test_media.py tests/copies/test_worker.py" ;;
    auth/tokens.py) echo "tests/auth/test_tokens.py" ;;
    generations/repository.py) echo "tests/generations/test_generations.py tests/budgets/test_budgets.py tests/webhooks/test_webhooks.py tests/webhooks/test_reconcile.py" ;;
    webhooks/recorder.py) echo "tests/webhooks/test_recorder.py tests/webhooks/test_webhooks.py tests/webhooks/test_reconcile.py" ;;
    *) echo "tests" ;;
  esac
}

quote() { printf '"%s", ' "$@"; }

run_module() {
  local module=$1 tests=$2 stage
  stage="$BASE/$(echo "${module%.py}" | tr / _)"
  echo "== $module: $tests (cap $MINUTES min)"
  if [ "${MUTATE_RUN:-1}" != 0 ]; then
    rm -rf "$stage" && mkdir -p "$stage/src"
    cp -r "$ROOT/layers/shared/python/videogen" "$stage/src/"
    for d in functions supabase tests layers; do ln -s "$ROOT/$d" "$stage/$d"; done
    cp "$ROOT/pyproject.toml" "$ROOT/infra/pytest_private_basetemp.py" "$stage/"
    # shellcheck disable=SC2086
    {
      echo
      echo "[tool.mutmut]"
      echo 'source_paths = ["src/videogen"]'
      echo "only_mutate = [\"src/videogen/$module\"]"
      echo "pytest_add_cli_args_test_selection = [$(quote $tests)]"
      echo 'pytest_add_cli_args = ["-p", "no:cacheprovider", "-p", "pytest_private_basetemp", "-q"]'
      echo 'also_copy = ["functions", "supabase", "layers/shared/python/videogen/local/assets", "pytest_private_basetemp.py"]'
    } >>"$stage/pyproject.toml"
    local start status=0
    start=$(date +%s)
    (cd "$stage" && nice -n 10 "$ROOT/.venv/bin/python" "$ROOT/infra/mutmut_capped.py" "$MINUTES" >"$stage/run.log" 2>&1) || status=$?
    echo $(($(date +%s) - start)) >"$stage/took"
    [ "$status" = 0 ] || echo "   mutmut exited with $status (see $stage/run.log)"
  fi
  local took
  took=$(cat "$stage/took" 2>/dev/null || echo 0)
  "$ROOT/.venv/bin/python" - "$stage" "$module" "$took" <<'EOF'
import json, pathlib, sys
stage, module, took = pathlib.Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
meta = json.loads((stage / "mutants/src/videogen" / (module + ".meta")).read_text())
codes = meta["exit_code_by_key"]
names = {1: "killed", 3: "killed", 0: "survived", 33: "no tests", 5: "no tests", None: "not checked"}
timeouts = {-24, 24, 152, 255, 36}
count: dict[str, int] = {}
for code in codes.values():
    status = "timeout" if code in timeouts else names.get(code, f"other({code})")
    count[status] = count.get(status, 0) + 1
run = sum(n for s, n in count.items() if s not in ("not checked", "no tests"))
score = (count.get("killed", 0) + count.get("timeout", 0)) / run if run else 0.0
print(f"   {len(codes)} mutants: " + ", ".join(f"{n} {s}" for s, n in sorted(count.items()))
      + f"; score {score:.0%} of {run} run; {took // 60} min {took % 60} s")
for key, code in sorted(codes.items()):
    if code == 0:
        print("   survived:", key.rsplit(".", 1)[1])
EOF
}

for module in $MODULES; do
  run_module "$module" "${MUTATE_TESTS:-$(selection "$module")}"
done
