"""``python -m driftline``: the command line."""

from driftline.cli import main

__all__: list[str] = []


raise SystemExit(main())
