"""The command line: ``driftline demo | serve | models | backfill``."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from driftline import __version__
from driftline.errors import ConfigurationError, DriftlineError
from driftline.ingest.store import Store

__all__ = ["main"]


def _settings(args: argparse.Namespace) -> object:
    from driftline.settings import Settings

    overrides = {k: v for k, v in (("data_dir", args.data_dir), ("store", args.store),
                                   ("database", args.database)) if v is not None}
    if getattr(args, "port", None) is not None:
        overrides["port"] = args.port
    if getattr(args, "host", None) is not None:
        overrides["host"] = args.host
    return Settings(**overrides)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="driftline", description=__doc__)
    parser.add_argument("--version", action="version", version=f"driftline {__version__}")
    parser.add_argument("--data-dir", type=Path, help="embedded store directory "
                        "(default ./.driftline/data, env DRIFTLINE_DATA_DIR)")
    parser.add_argument("--store", help="'chdb' or clickhouse://host:port/db (env DRIFTLINE_STORE)")
    parser.add_argument("--database", help="ClickHouse database (default driftline)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="replay 2013 NYC flights through the SDK and the monitors")
    serve = sub.add_parser("serve", help="start the REST API on the same data")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    sub.add_parser("models", help="list models and their schema versions")
    backfill = sub.add_parser("backfill", help="evaluate a monitor over past data (tuning)")
    backfill.add_argument("model")
    backfill.add_argument("--test", default="ks", help="detector name (default ks)")
    backfill.add_argument("--features", default="", help="comma-separated (default: all)")
    backfill.add_argument("--window", default="1d", help="tumbling window size: 30m, 6h, 1d, 1w")
    backfill.add_argument("--reference", default="trailing:1w",
                          help="training | seasonal | trailing:SIZE | fixed:START,END")
    backfill.add_argument("--start", help="ISO-8601 or epoch seconds (default: first event)")
    backfill.add_argument("--end", help="ISO-8601 or epoch seconds (default: last event)")
    backfill.add_argument("--monitor-id", help="results are stored under this id")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        return _run(args)
    except DriftlineError as exc:
        print(f"driftline: error: {exc}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    from driftline.settings import Settings, open_store

    settings = _settings(args)
    assert isinstance(settings, Settings)
    if args.command == "serve":
        from driftline.api.server import serve

        serve(settings)
        return 0
    with open_store(settings) as store:
        if args.command == "demo":
            from driftline.demo import run_demo

            run_demo(store)
            where = settings.data_dir if settings.store == "chdb" else settings.store
            print(f"\ndata kept in {where} — `driftline serve` serves it at "
                  f"http://{settings.host}:{settings.port}/docs")
        elif args.command == "backfill":
            _backfill(store, args)
        elif args.command == "models":
            for model in store.list_models():
                print(f"{model.name}\tschema v{model.schema_version}\t{model.n_features} features")
    return 0


_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}


def _duration(text: str) -> float:
    try:
        return float(text[:-1]) * _UNITS[text[-1]]
    except (KeyError, ValueError, IndexError):
        raise ConfigurationError(f"expected a duration like 30m, 6h, 1d or 1w, got {text!r}")\
            from None


def _backfill(store: Store, args: argparse.Namespace) -> None:
    from driftline.engine import Engine, Monitor, ReferenceSpec, WindowSpec
    from driftline.ingest.events import parse_timestamp

    bounds = store.time_bounds(args.model)
    if bounds is None:
        raise ConfigurationError(f"model {args.model!r} has no events")
    kind, _, value = args.reference.partition(":")
    if kind == "trailing":
        reference = ReferenceSpec.trailing(_duration(value or "1w"))
    elif kind == "fixed":
        lo, _, hi = value.partition(",")
        reference = ReferenceSpec.fixed(parse_timestamp(lo), parse_timestamp(hi))
    elif kind in ("training", "seasonal"):
        reference = getattr(ReferenceSpec, kind)()
    else:
        raise ConfigurationError(f"--reference {args.reference!r}: expected training, seasonal,"
                                 " trailing:SIZE or fixed:START,END")
    start = parse_timestamp(args.start) if args.start else bounds[0]
    end = parse_timestamp(args.end) if args.end else bounds[1] + 1
    monitor = Monitor(args.monitor_id or f"backfill-{args.model}-{args.test}", args.model,
                      args.test, WindowSpec.tumbling(_duration(args.window)), reference,
                      tuple(f for f in args.features.split(",") if f))
    for span, result in Engine(store).backfill(monitor, start, end):
        day = datetime.fromtimestamp(span.start, UTC).isoformat(timespec="minutes")
        drifted = ", ".join(f"{f.feature} ({f.effect_size:.3f})" for f in result.features
                            if f.drifted) or "-"
        print(f"{day}  {result.status.value:<17} n={result.n_window:<8} {drifted}")


if __name__ == "__main__":
    raise SystemExit(main())
