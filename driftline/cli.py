"""The command line: ``driftline demo | serve | worker | models | backfill``."""

from __future__ import annotations

import argparse
import logging
import math
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from driftline import __version__
from driftline.errors import DataStateError, DriftlineError, NotFoundError

if TYPE_CHECKING:
    from driftline.storage import Store

__all__ = ["main"]


def _settings(args: argparse.Namespace) -> object:
    from driftline.settings import Settings

    overrides = {k: v for k, v in (("data_dir", args.data_dir), ("store", args.store),
                                   ("database", args.database)) if v is not None}
    if getattr(args, "port", None) is not None:
        overrides["port"] = args.port
    if getattr(args, "host", None) is not None:
        overrides["host"] = args.host
    if getattr(args, "monitors", None) is not None:
        overrides["monitors"] = args.monitors
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
    worker = sub.add_parser(
        "worker", help="run the monitors' scheduler in this process (beside `serve` on a "
        "ClickHouse server; with the embedded store `serve` runs it itself)")
    worker.add_argument("--monitors", type=Path,
                        help="TOML monitors file (env DRIFTLINE_MONITORS)")
    worker.add_argument("--once", action="store_true",
                        help="evaluate what is due once and exit (e.g. from cron)")
    worker.add_argument("--metrics-port", type=int,
                        help="serve the engine's Prometheus metrics on this port")
    sub.add_parser("models", help="list models and their schema versions")
    suggest = sub.add_parser("suggest-rules", help="print validation rules suggested from a "
                             "model's stored reference (a monitors-file block to review)")
    suggest.add_argument("model")
    suggest.add_argument("--reference", default="training", help="stored reference name")
    suggest.add_argument("--window", default="1d", help="the monitor's window (default 1d)")
    backfill = sub.add_parser("backfill", help="evaluate a monitor over past data (tuning)")
    backfill.add_argument("model")
    backfill.add_argument("--test", default="ks", help="detector name (default ks)")
    backfill.add_argument("--features", default="", help="comma-separated (default: all)")
    backfill.add_argument("--window", default="1d", help="tumbling window size: 30m, 6h, 1d, 1w")
    backfill.add_argument("--reference", default="trailing:1w",
                          help="training | seasonal | trailing:SIZE | fixed:START,END")
    backfill.add_argument("--start", help="ISO-8601 or epoch seconds (default: first event)")
    backfill.add_argument("--end", help="ISO-8601 or epoch seconds (default: last event)")
    backfill.add_argument("--origin", help="ISO-8601 or epoch seconds where windows align "
                          "(default midnight UTC; Monday 00:00 UTC for 1w and longer)")
    backfill.add_argument("--monitor-id", help="results are stored under this id")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        return _run(args)
    except DriftlineError as exc:
        print(f"driftline: error: {exc}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as exc:  # a bare `pip install driftline` is the SDK only
        print(f"driftline: error: `driftline {args.command}` needs the service's dependencies"
              f" (missing {exc.name!r}): pip install 'driftline[server]'", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    from driftline.settings import Settings, open_store

    settings = _settings(args)
    assert isinstance(settings, Settings)
    if args.command in ("serve", "worker") and settings.monitors is not None:
        from driftline.engine.config import load_monitors

        load_monitors(settings.monitors)  # a bad file is one line here, not a traceback later
    if args.command == "serve":
        from driftline.api.server import serve

        serve(settings)
        return 0
    if args.command == "worker":
        from driftline.engine.worker import run_worker

        n = run_worker(settings, once=args.once, metrics_port=args.metrics_port)
        print(f"driftline worker: {n} windows evaluated")
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
        elif args.command == "suggest-rules":
            from driftline.validation import rules_toml, suggest_rules

            reference = store.references.load(args.model, args.reference)
            print(rules_toml(f"{args.model}-validation", args.model,
                             suggest_rules(reference), args.window), end="")
        elif args.command == "models":
            for model in store.events.list_models():
                print(f"{model.name}\tschema v{model.schema_version}\t{model.n_features} features")
    return 0


def _backfill(store: Store, args: argparse.Namespace) -> None:
    from driftline.engine import Engine, Monitor, WindowSpec
    from driftline.engine.config import parse_duration, parse_reference, parse_time
    from driftline.engine.windows import default_origin

    bounds = store.events.time_bounds(args.model)
    if bounds is None:
        raise NotFoundError(f"model {args.model!r} has no events", what="model", name=args.model)
    reference = parse_reference(args.reference, "--reference")
    start = parse_time(args.start, "--start") if args.start else bounds[0]
    end = parse_time(args.end, "--end") if args.end else bounds[1] + 1
    size = parse_duration(args.window, "--window")
    origin = parse_time(args.origin, "--origin") if args.origin else default_origin(size)
    window = WindowSpec.tumbling(size, origin)
    # the windows that lie within [start, end]
    spans = [s for s in window.spans(start, end) if s.start >= start]
    if not spans:
        before = window.origin + math.floor((start - window.origin) / size) * size
        raise DataStateError(
            f"no complete {args.window} window between {_minute(start)} and {_minute(end)}"
            f" (windows begin at {_minute(before)} + k*{args.window}; give --start, --end,"
            " --origin or a shorter --window)")
    monitor = Monitor.drift(args.monitor_id or f"backfill-{args.model}-{args.test}", args.model,
                            args.test, window, reference,
                            tuple(f for f in args.features.split(",") if f))
    for evaluation in Engine(store).backfill(monitor, spans[0].start, spans[-1].end):
        day = datetime.fromtimestamp(evaluation.window.start, UTC).isoformat(timespec="minutes")
        overall = evaluation.records[0]
        drifted = ", ".join(f"{r.subject} ({r.effect_size:.3f})" for r in evaluation.records[1:]
                            if r.status == "alert") or "-"
        print(f"{day}  {evaluation.status.value:<21} n={overall.n_window:<8} {drifted}")


def _minute(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%MZ")


if __name__ == "__main__":
    raise SystemExit(main())
