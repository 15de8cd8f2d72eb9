#!/usr/bin/env bash
# One command: set up, start a throwaway ClickHouse server on 127.0.0.1, lint, type-check and
# run the whole test suite (embedded chDB and server-marked tests). Extra args go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh dev
chdir=$(mktemp -d /tmp/driftline-ch.XXXXXX)
port=${DRIFTLINE_TEST_CLICKHOUSE_PORT:-19500}
trap 'bash scripts/clickhouse-server.sh stop "$chdir"; rm -rf "$chdir"' EXIT
bash scripts/clickhouse-server.sh start "$chdir" "$port"
export DRIFTLINE_TEST_CLICKHOUSE_URL="clickhouse://127.0.0.1:$port/driftline_test"
echo "== ruff"; .venv/bin/ruff check driftline tests benchmarks scripts
echo "== mypy --strict"; .venv/bin/mypy --strict driftline
echo "== pytest"; .venv/bin/python -m pytest "$@"
