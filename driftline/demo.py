"""``driftline demo``: a year of real flights through the whole loop, on the embedded store.

1. Train a "late arrival" classifier (arrival delay > 15 min) on January-February 2013 of the
   nycflights13 departures and store its training set as the reference profile.
2. Replay the year in time order through the SDK, as a prediction server would: one
   prediction per departure, and the natural label logged later, when the flight lands.
3. Run the monitors over weekly windows against the training reference and print which
   features drifted in which weeks and how accuracy moved.

Two runs print the same verdicts: every event id is derived from the flight it logs
(``flight_ids``), so a window's sample (chosen by hashing event ids) is the same rows in every
run, and the monitors' seeds derive from their ids.
"""

from __future__ import annotations

import hashlib
import heapq
import importlib.util
import math
import os
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO

import numpy as np
import pandas as pd

from driftline.engine import Engine, Monitor, ReferenceSpec, WindowSpec
from driftline.ingest.references import save_reference
from driftline.storage import Store

__all__ = [
    "ADWIN_DELTA",
    "CATEGORICAL",
    "DAY",
    "DEMO_MODEL",
    "FLIGHT_KEY",
    "FLIGHT_NAMESPACE",
    "LATE_MIN",
    "NUMERIC",
    "TRAIN_END",
    "WEEK",
    "WEEK_ORIGIN",
    "LateModel",
    "Progress",
    "demo_monitors",
    "error_stream_changes",
    "flight_ids",
    "load_flights",
    "log_flights",
    "replay",
    "run_demo",
    "weekly_accuracy",
]

DEMO_MODEL = "flights-late"
NUMERIC = ["dep_delay", "distance", "hour", "sched_dep_time"]
CATEGORICAL = ["carrier", "origin"]
LATE_MIN = 15.0
DAY = 86_400.0
WEEK = 7 * DAY
#: Monday 2013-01-07 00:00 UTC: weekly windows start on Mondays
WEEK_ORIGIN = datetime(2013, 1, 7, tzinfo=UTC).timestamp()
#: ADWIN's confidence: the error stream of a year of flights moves with the weather, so only
#: strong changes are reported
ADWIN_DELTA = 1e-6
TRAIN_END = datetime(2013, 3, 1, tzinfo=UTC).timestamp()
#: the columns that identify a departure of nycflights13 (unique over its 336,776 rows:
#: a flight number leaves an airport once a day; the scheduled time makes sure)
FLIGHT_KEY = ("year", "month", "day", "carrier", "flight", "origin", "sched_dep_time")
#: the uuid5 namespace of the demo's event ids
FLIGHT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/hadley/nycflights13")


def _pkg_file(package: str, *parts: str) -> str:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"package {package!r} is not installed")
    return os.path.join(next(iter(spec.submodule_search_locations)), *parts)


def load_flights() -> pd.DataFrame:
    """nycflights13's 336,776 departures of 2013, time-ordered, with event times in UTC."""
    df = pd.read_csv(_pkg_file("nycflights13", "data", "flights.csv.zip"))
    epoch = pd.Timestamp(0, tz="UTC")
    hour_ts = (pd.to_datetime(df["time_hour"], utc=True) - epoch) / pd.Timedelta(seconds=1)
    df["ts"] = hour_ts.astype(np.float64) + df["minute"].astype(np.float64) * 60.0
    # the label is known when the flight lands (cancelled flights never get one)
    df["arrival_ts"] = df["ts"] + (df["dep_delay"] + df["air_time"] + 20.0) * 60.0
    df["late"] = np.where(df["arr_delay"].isna(), np.nan, (df["arr_delay"] > LATE_MIN) * 1.0)
    return df.sort_values(["ts", "flight"], kind="stable").reset_index(drop=True)


@dataclass
class LateModel:
    """Logistic regression on the numeric features plus one-hot carrier and origin."""

    model: Any
    medians: dict[str, float]
    scales: dict[str, float]
    categories: dict[str, list[str]]

    @classmethod
    def train(cls, train: pd.DataFrame) -> LateModel:
        from sklearn.linear_model import LogisticRegression

        labelled = train[train["late"].notna()]
        medians = {c: float(labelled[c].median()) for c in NUMERIC}
        categories = {c: sorted(labelled[c].unique()) for c in CATEGORICAL}
        scales = {c: float(labelled[c].std()) or 1.0 for c in NUMERIC}
        model = cls(None, medians, scales, categories)
        x = model.matrix(labelled)
        model.model = LogisticRegression(max_iter=200).fit(x, labelled["late"].to_numpy())
        return model

    def matrix(self, df: pd.DataFrame) -> np.ndarray[Any, np.dtype[np.float64]]:
        parts = [(df[c].fillna(self.medians[c]).to_numpy(np.float64)[:, None]
                  - self.medians[c]) / self.scales[c] for c in NUMERIC]
        for c, cats in self.categories.items():
            parts.append((df[c].to_numpy()[:, None] == np.asarray(cats)[None, :]) * 1.0)
        return np.hstack(parts)

    def predict_proba(self, df: pd.DataFrame) -> np.ndarray[Any, np.dtype[np.float64]]:
        return np.asarray(self.model.predict_proba(self.matrix(df))[:, 1], dtype=np.float64)


def flight_ids(df: pd.DataFrame) -> list[str]:
    """One event id per departure, derived from the flight (``FLIGHT_KEY``): the uuid5 (in
    ``FLIGHT_NAMESPACE``, as hex) of ``"2013-01-01/UA/1545/EWR/515"``, so every replay logs
    the same ids. Computed as ``uuid.uuid5`` does, without a UUID object per row (3x faster)."""
    columns = [df[c].tolist() for c in FLIGHT_KEY]
    namespace = FLIGHT_NAMESPACE.bytes
    ids = []
    for y, m, d, c, f, o, t in zip(*columns, strict=True):
        name = f"{int(y):04d}-{int(m):02d}-{int(d):02d}/{c}/{int(f)}/{o}/{int(t)}"
        digest = bytearray(hashlib.sha1(namespace + name.encode()).digest()[:16])
        digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
        digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
        ids.append(digest.hex())
    return ids


class Progress:
    """A one-line progress bar on a terminal (a line every 10% elsewhere)."""

    def __init__(self, total: int, label: str, out: TextIO = sys.stderr) -> None:
        self.total, self.label, self.out = total, label, out
        self.started = time.perf_counter()
        self.tty = out.isatty()
        self._last = -1

    def update(self, done: int) -> None:
        pct = int(100 * done / max(self.total, 1))
        if (self.tty and pct != self._last) or (not self.tty and pct // 10 != self._last // 10):
            rate = done / max(time.perf_counter() - self.started, 1e-9)
            bar = "#" * (pct // 4) + "." * (25 - pct // 4)
            end = "\r" if self.tty and done < self.total else "\n"
            self.out.write(f"{self.label} [{bar}] {pct:3d}% {done:,}/{self.total:,} "
                           f"({rate:,.0f}/s){end}")
            self.out.flush()
            self._last = pct


def replay(df: pd.DataFrame, model: LateModel, log_prediction: Callable[..., str],
           log_label: Callable[..., None], progress: Progress | None = None) -> int:
    """Log every departure as a prediction (its event id from ``flight_ids``) and each label
    once its flight has landed; returns the labels logged."""
    proba = model.predict_proba(df).tolist()
    ids = flight_ids(df)
    pending: list[tuple[float, str, float]] = []
    names = (*NUMERIC, *CATEGORICAL)
    columns = [df[c].tolist() for c in names]
    stamps, arrivals, lates = (df[c].tolist() for c in ("ts", "arrival_ts", "late"))
    labels = 0
    for i, values in enumerate(zip(*columns, strict=True)):
        now = stamps[i]
        while pending and pending[0][0] <= now:
            at, event_id, late = heapq.heappop(pending)
            log_label(event_id, late, timestamp=at)
            labels += 1
        # NaN (a cancelled flight's delay) is logged as a missing value
        features = {n: (v if v == v else None) for n, v in zip(names, values, strict=True)}
        p = proba[i]
        event_id = log_prediction(features, {"late": p, "on_time": 1.0 - p}, event_id=ids[i],
                                  timestamp=now, model_version="jan-feb")
        if lates[i] == lates[i]:
            heapq.heappush(pending, (arrivals[i], event_id, lates[i]))
        if progress is not None and (i % 2000 == 0 or i == len(stamps) - 1):
            progress.update(i + 1)
    for at, event_id, late in sorted(pending):
        log_label(event_id, late, timestamp=at)
        labels += 1
    return labels


def log_flights(store: Store, df: pd.DataFrame, model: LateModel,
                progress: Progress | None = None) -> int:
    """``replay`` through the SDK into ``store`` (delivered before it returns); returns the
    labels logged."""
    from driftline.sdk import Client
    from driftline.sdk.exporters.store import StoreExporter

    client = Client(StoreExporter(store), model=DEMO_MODEL, max_batch_size=20_000,
                    max_queue_size=400_000)
    try:
        labels = replay(df, model, client.log_prediction, client.log_label, progress)
        client.flush(timeout=300)
    finally:
        client.shutdown()
    return labels


def demo_monitors() -> list[Monitor]:
    """Per-feature tests, a distance pushed down to ClickHouse and one multivariate test."""
    weekly = WindowSpec.tumbling(WEEK, origin=WEEK_ORIGIN)
    training = ReferenceSpec.training()
    return [
        Monitor.drift("flights-ks", DEMO_MODEL, "ks", weekly, training, tuple(NUMERIC)),
        Monitor.drift("flights-chi2", DEMO_MODEL, "chi2", weekly, training, tuple(CATEGORICAL)),
        Monitor.drift("flights-psi", DEMO_MODEL, "psi", weekly, training,
                      (*NUMERIC, *CATEGORICAL)),
        Monitor.drift("flights-mmd", DEMO_MODEL, "mmd", weekly, training, tuple(NUMERIC),
                      # schedules shift a little every week; an MMD^2 under 0.005 is not
                      # worth a page
                      settings={"n_permutations": 100, "max_samples": 2000,
                                "min_effect_size": 0.005}),
    ]


def error_stream_changes(store: Store, start: float, end: float) -> list[tuple[float, float]]:
    """ADWIN on the stream of prediction errors (in label order): (time, error rate after)."""
    from driftline.detector import ADWIN

    joined = store.labels.read_labeled(DEMO_MODEL, start, end)
    errors = ((np.asarray(joined["prediction_label"]) == "late") * 1.0
              != np.asarray(joined["label"], dtype=np.float64)) * 1.0
    detector = ADWIN(delta=ADWIN_DELTA)
    changes = []
    for i, error in enumerate(errors.tolist()):
        if detector.update(error).drift_detected:
            changes.append((float(joined["ts"][i]), float(errors[max(0, i - 2000):i].mean())))
    return changes


def weekly_accuracy(store: Store, spans: Sequence[tuple[float, float]]
                    ) -> list[tuple[int, float, float]]:
    """(labelled events, accuracy, late rate) per window from the joined natural labels."""
    out = []
    for start, end in spans:
        joined = store.labels.read_labeled(DEMO_MODEL, start, end)
        labels = np.asarray(joined["label"], dtype=np.float64)
        if not len(labels):
            out.append((0, math.nan, math.nan))
            continue
        predicted = (np.asarray(joined["prediction_label"]) == "late") * 1.0
        out.append((len(labels), float(np.mean(predicted == labels)), float(labels.mean())))
    return out


def run_demo(store: Store, out: TextIO = sys.stdout) -> dict[str, Any]:
    """The whole demo on ``store``; returns the numbers it printed (for tests)."""
    started = time.perf_counter()
    _reset(store)
    df = load_flights()
    train = df[df["ts"] < TRAIN_END]
    model = LateModel.train(train)
    save_reference(store, DEMO_MODEL,
                   {c: train[c].to_numpy(np.float64) for c in NUMERIC}
                   | {c: train[c].to_numpy(object) for c in CATEGORICAL})
    out.write(f"driftline demo: {len(df):,} departures of 2013 (nycflights13); model trained "
              f"on {len(train):,} Jan-Feb flights, training profile stored\n")
    labels = log_flights(store, df, model, Progress(len(df), "replaying predictions"))
    replayed = time.perf_counter()
    out.write(f"logged {store.events.count(DEMO_MODEL):,} predictions and {labels:,} "
              f"delayed labels in {replayed - started:.1f}s\n")

    engine = Engine(store)
    first = WEEK_ORIGIN + math.ceil((TRAIN_END - WEEK_ORIGIN) / WEEK) * WEEK
    end = float(df["ts"].max()) + 1
    results: dict[str, list[Any]] = {}
    for monitor in demo_monitors():
        # every demo week has traffic, so each evaluation carries the detector's DriftResult
        results[monitor.id] = [(e.window, e.outcome) for e in engine.backfill(monitor, first, end)]
    spans = [(s.start, s.end) for s, _ in results["flights-ks"]]
    summary = _print_summary(out, results, weekly_accuracy(store, spans))
    changes = error_stream_changes(store, first, end)
    per_month: dict[str, int] = {}
    for t, _ in changes:
        month = datetime.fromtimestamp(t, UTC).strftime("%b")
        per_month[month] = per_month.get(month, 0) + 1
    out.write(f"ADWIN (delta={ADWIN_DELTA:g}) on the error stream of the natural labels: "
              f"{len(changes)} changes; per month: "
              + ", ".join(f"{m} {n}" for m, n in per_month.items()) + "\n")
    out.write(f"4 monitors x {len(spans)} weekly windows evaluated in "
              f"{time.perf_counter() - replayed:.1f}s; every result is in the `results` table "
              "(`driftline serve` -> GET /v1/results)\n")
    summary["error_changes"] = changes
    return summary


def _day(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d")


def _reset(store: Store) -> None:
    """Forget an earlier run of the demo (its events, labels, results and references)."""
    store.drop_model(DEMO_MODEL)


def _print_summary(out: TextIO, results: dict[str, list[Any]],
                   accuracy: list[tuple[int, float, float]]) -> dict[str, Any]:
    out.write("\nweek of        events  accuracy  late  MMD p    PSI max  drifted features "
              "(KS / chi2 effect size)\n")
    drifted_weeks: dict[str, list[str]] = {}
    borderline: list[str] = []
    quiet = 0
    for i, (span, ks) in enumerate(results["flights-ks"]):
        chi2 = results["flights-chi2"][i][1]
        psi = results["flights-psi"][i][1]
        mmd = results["flights-mmd"][i][1]
        week = _day(span.start)
        drifted = [f for r in (ks, chi2) for f in r.features if f.drifted]
        for f in drifted:
            drifted_weeks.setdefault(f.feature, []).append(week)
        quiet += not drifted and not mmd.drifted and not psi.drifted
        _, acc, late = accuracy[i]
        text = ", ".join(f"{f.feature} ({f.effect_size:.2f})" for f in drifted) or "-"
        mmd_p = "  n/a" if mmd.p_value is None else f"{mmd.p_value:5.2f}"
        mmd_mark = "*" if mmd.drifted else " "
        if _borderline(mmd):
            borderline.append(week)
            mmd_mark += "?"
        else:
            mmd_mark += " "
        psi_mark = "*" if psi.drifted else " "
        out.write(f"{week}  {ks.n_window:7,}  {acc:8.3f}  {late:4.2f}  {mmd_p}{mmd_mark}"
                  f"  {psi.statistic:6.3f}{psi_mark}  {text}\n")
    out.write(f"\n* = drift; ? = an MMD p-value within two Monte-Carlo standard errors of alpha "
              f"(a borderline verdict: more permutations would settle it; {len(borderline)} "
              f"weeks). {quiet} of {len(accuracy)} weeks were quiet on every test; weeks "
              "with drift per feature: "
              + (", ".join(f"{k}: {len(v)}" for k, v in sorted(drifted_weeks.items())) or "none")
              + "\n")
    return {"drifted_weeks": drifted_weeks, "accuracy": accuracy, "quiet_weeks": quiet,
            "borderline_weeks": borderline, "results": results}


def _borderline(result: Any) -> bool:
    """A permutation p-value within two Monte-Carlo standard errors of its alpha (the
    detector's ``p_value_mc_error`` detail; False without one)."""
    error = result.details.get("p_value_mc_error")
    if result.p_value is None or not isinstance(error, int | float):
        return False
    return bool(abs(result.p_value - result.threshold) <= 2.0 * error)
