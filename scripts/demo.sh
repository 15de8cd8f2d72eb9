#!/usr/bin/env bash
# One command: set up and run the main job (`driftline demo`) on the embedded store.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh server
exec .venv/bin/driftline demo "$@"
