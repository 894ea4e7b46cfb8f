"""A job's final metric against the baseline of its validation split: one rule for every
place a result is shown (job detail, toast, `job show`, `job submit --wait`).

The engine computes the baseline (majority class for classifiers, token frequencies for
language models) on the same validation rows as the final evaluation and sends it with
`completed`; a result that does not clear it gets a warning, because a model that learned
nothing otherwise looks like a finished job.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app.jobs.store import metric_key

if TYPE_CHECKING:
    from app.jobs.store import Job

HEADLINE = ("accuracy", "perplexity", "eval_loss")
"""The metric a result is judged on: the first of these the final evaluation has."""
LOWER_IS_BETTER = {"eval_loss", "perplexity", "loss"}
LOSS_MARGIN = 0.05
"""A loss or perplexity must be this fraction below the baseline's to count as learned."""
STANDARD_ERRORS = 2.0
"""An accuracy must clear the baseline by this many binomial standard errors: on a small
validation split a lucky guess is otherwise "better"."""


@dataclass(frozen=True)
class Verdict:
    metric: str
    value: float
    baseline: float | None
    baseline_name: str
    beaten: bool | None
    """None when there is no baseline to judge by (no validation rows)."""

    @property
    def text(self) -> str:
        """ "accuracy 0.95 (majority class 0.34)", with a warning when not better."""
        shown = f"{self.metric} {_number(self.value)}"
        if self.baseline is None:
            return shown
        shown += f" ({self.baseline_name} {_number(self.baseline)})"
        if self.beaten is False:
            shown += f" ⚠ {WARNING}"
        return shown


WARNING = (
    "no better than the baseline: the model learned nothing useful. "
    "Try more epochs or a higher learning rate."
)


def verdict(final: dict[str, Any] | None, baseline: dict[str, Any] | None) -> Verdict | None:
    """Judge a final evaluation; None when it has no metric to judge."""
    final, baseline = final or {}, baseline or {}
    metric = next((m for m in HEADLINE if _is_number(final.get(m))), None)
    if metric is None:
        return None
    value = float(final[metric])
    if not _is_number(baseline.get(metric)):
        return Verdict(metric, value, None, "", None)
    reference = float(baseline[metric])
    if metric in LOWER_IS_BETTER:
        beaten = value < reference * (1.0 - LOSS_MARGIN)
    else:
        rows = int(baseline.get("rows") or 0)
        spread = math.sqrt(max(reference * (1 - reference), 1e-9) / rows) if rows else 0.0
        beaten = value > reference + STANDARD_ERRORS * spread
    return Verdict(metric, value, reference, str(baseline.get("name", "baseline")), beaten)


def result_text(result: dict[str, Any] | None) -> str:
    """A stored job result ({"final", "baseline"}) in one line; "" when there is none."""
    if not result:
        return ""
    judged = verdict(result.get("final"), result.get("baseline"))
    return judged.text if judged else ""


def baseline_value(result: dict[str, Any] | None, curve: str) -> float | None:
    """What learning nothing scores on an evaluation curve (`eval_perplexity`, named by
    the store's rule) for a stored job result; None for a training curve or unmeasured."""
    baseline = (result or {}).get("baseline") or {}
    for name, value in baseline.items():
        if metric_key("eval", name) == curve and _is_number(value):
            return float(value)
    return None


def ending_text(job: Job, reason: str) -> str:
    """What a finished job's notification and `--wait`'s last line say: for a completed job
    its result against the baseline and where the model is, else why it ended."""
    if job.status != "completed":
        return reason
    lines = [result_text(job.result) or "completed", f"Model: {job.spec.get('output_dir', '')}"]
    return "\n".join(lines)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _number(value: float) -> str:
    return f"{value:.3f}" if abs(value) < 1000 else f"{value:.4g}"
