#!/usr/bin/env bash
# make mutate: mutmut over the security-critical modules, with a fast test selection.
# mutmut 3 imports mutated code only from ./, src/ or source/, so the shared package is
# staged as src/videogen in a scratch directory beside the repository's other folders
# (the tests find functions/, supabase/ and the sample video there). Not part of make test.
# MUTATE_MODULES (paths under videogen/) and MUTATE_TESTS override the selection.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
STAGE=${MUTATE_DIR:-$ROOT/.mutmut}
MODULES=${MUTATE_MODULES:-"webhooks/media.py webhooks/signature.py auth/tokens.py generations/repository.py webhooks/recorder.py"}
TESTS=${MUTATE_TESTS:-"tests/webhooks/test_media.py tests/webhooks/test_webhooks.py tests/auth tests/generations/test_generations.py"}
rm -rf "$STAGE" && mkdir -p "$STAGE/src"
cp -r "$ROOT/layers/shared/python/videogen" "$STAGE/src/"
for d in functions supabase tests layers; do ln -s "$ROOT/$d" "$STAGE/$d"; done
cp "$ROOT/pyproject.toml" "$STAGE/"
quote() { printf '"%s", ' "$@"; }
# shellcheck disable=SC2086
{
  echo
  echo "[tool.mutmut]"
  echo 'source_paths = ["src/videogen"]'
  echo "only_mutate = [$(quote $(for m in $MODULES; do echo "src/videogen/$m"; done))]"
  echo "pytest_add_cli_args_test_selection = [$(quote $TESTS)]"
  echo 'pytest_add_cli_args = ["-p", "no:cacheprovider", "-q", "-m", "not lambda_runtime"]'
  echo 'also_copy = ["functions", "supabase", "layers/shared/python/videogen/local/assets"]'
} >> "$STAGE/pyproject.toml"
cd "$STAGE"
start=$(date +%s)
"$ROOT/.venv/bin/mutmut" run || true
echo "mutmut took $(( $(date +%s) - start )) s"
"$ROOT/.venv/bin/mutmut" results
