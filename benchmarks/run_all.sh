#!/usr/bin/env bash
# Run the three benchmarks in order (the first one caches a loaded SQLite database that the others reuse).
#   benchmarks/run_all.sh                      # SQLite + PostgreSQL if reachable (BENCH_POSTGRES_URL or the local default)
#   benchmarks/run_all.sh --no-postgres        # extra arguments go to bench_referential_load.py
# Results (JSON) land in benchmarks/results/ (gitignored).
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-.venv/bin/python}"
status=0
"$PY" benchmarks/bench_referential_load.py "$@" || status=$?
"$PY" benchmarks/bench_routing.py || status=$?
"$PY" benchmarks/bench_http.py || status=$?
"$PY" benchmarks/bench_journeys.py || status=$?
"$PY" benchmarks/bench_catalogue_import.py || status=$?
"$PY" benchmarks/bench_cases.py || status=$?
"$PY" benchmarks/bench_http_declarations.py || status=$?
"$PY" benchmarks/bench_annuaire_import.py || status=$?
"$PY" benchmarks/bench_impacts.py || status=$?
"$PY" benchmarks/bench_opendata_export.py || status=$?
"$PY" benchmarks/bench_webhooks.py || status=$?
"$PY" benchmarks/bench_shadowing.py || status=$?
exit "$status"
