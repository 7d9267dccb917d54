"""Shared by the benchmarks: machine facts, one result file per benchmark (INTERFACES.md), a printed table."""
from __future__ import annotations

import json
import os
import platform
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def machine() -> dict:
    return {"cores": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}


def figure(name: str, value, unit: str, goal=None, baseline=None, ratio=None, **extra) -> dict:
    """One row: ``goal`` is a string such as "<= 1.2"; ``ratio`` is measured side by side with ``baseline``."""
    row = {"figure": name, "value": value, "unit": unit, "goal": goal, "baseline": baseline, "ratio": ratio}
    row.update(extra)
    return row


def percentile(values, p: float):
    values = sorted(v for v in values if v is not None)
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    k = (len(values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def _fmt(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.3g}" if abs(v) < 1000 else f"{v:.0f}"
    return str(v)


def write_result(name: str, figures: list[dict], notes: str = "") -> Path:
    """Print the table and write bench/results/<name>.json."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    data = {"name": name, "machine": machine(), "figures": figures}
    if notes:
        data["notes"] = notes
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    cols = ("figure", "value", "unit", "goal", "baseline", "ratio")
    rows = [[_fmt(f.get(c)) for c in cols] for f in figures]
    widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(cols)]
    print(f"\n== {name} ==")
    print("  ".join(c.ljust(w) for c, w in zip(cols, widths)))
    for r in rows:
        print("  ".join(v.ljust(w) for v, w in zip(r, widths)))
    if notes:
        print(notes)
    print(f"-> {path}")
    return path
