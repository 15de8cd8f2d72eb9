"""``python -m driftline.api [--data-dir DIR] [--port P] [--host H] [--store URL] [--database DB]``

Options override the ``DRIFTLINE_*`` environment; exits 0 after SIGTERM/SIGINT.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

from driftline.api.server import serve
from driftline.errors import DriftlineError
from driftline.settings import Settings

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m driftline.api",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--data-dir", help="embedded store directory (DRIFTLINE_DATA_DIR)")
    parser.add_argument("--store", help="'chdb' or clickhouse://host:port/db (DRIFTLINE_STORE)")
    parser.add_argument("--database", help="ClickHouse database (DRIFTLINE_DATABASE)")
    parser.add_argument("--host", help="listen address (DRIFTLINE_HOST)")
    parser.add_argument("--port", type=int, help="listen port (DRIFTLINE_PORT)")
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)
    overrides: dict[str, Any] = {
        k: v for k, v in vars(args).items() if v is not None and k != "log_level"
    }
    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s: %(message)s")
    try:
        serve(Settings(**overrides), log_level=args.log_level)
    except DriftlineError as exc:
        print(f"driftline: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
