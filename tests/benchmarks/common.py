"""What a benchmark reports, and the table the runner prints."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    benchmark: str
    name: str
    value: float
    unit: str
    target: str = ""
    """Human-readable, e.g. "≤ 1.5"; empty for figures given for context."""
    met: bool | None = None


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def p95(values: Sequence[float]) -> float:
    """The 95th percentile (nearest rank): what latency targets are stated in."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def format_table(figures: Sequence[Figure]) -> str:
    header = ("benchmark", "figure", "value", "target", "met")
    rows = [
        (
            f.benchmark,
            f.name,
            f"{f.value:,.3f} {f.unit}".strip(),
            f.target,
            "" if f.met is None else ("yes" if f.met else "NO"),
        )
        for f in figures
    ]
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join("{:<%d}" % w for w in widths)  # noqa: UP031 - builds a format string
    out = [line.format(*header), line.format(*("-" * w for w in widths))]
    out += [line.format(*row) for row in rows]
    return "\n".join(out)
