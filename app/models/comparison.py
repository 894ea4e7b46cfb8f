"""Two to four models side by side: what they are, the metrics they ended with and the
best they reached, the spec fields their jobs differ in, and (for the pane) each job's
curves. One reading for the pane and for `model compare`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.errors import NotFound, UserError
from app.jobs.results import result_text
from app.jobs.spec_diff import spec_differences
from app.jobs.store import Job, MetricSeries
from app.models.cards import LOWER_IS_BETTER
from app.models.registry import ModelRegistry
from app.models.store import ModelRecord
from app.units import human_bytes

MIN_MODELS, MAX_MODELS = 2, 4
NOT_METRICS = {"rows", "name", "epoch", "epochs", "step", "steps"}
"""Numbers stored beside the metrics (a baseline's row count) that compare nothing."""


@dataclass
class Comparison:
    models: list[ModelRecord]
    facts: list[tuple[str, list[str]]]
    """(what, value per model): kind, task, base, method, architecture, size, dataset…"""
    metrics: list[tuple[str, list[float | None]]]
    """("accuracy", …), ("best eval_loss", …): final values first, then the best reached."""
    differences: list[tuple[str, list[Any]]]
    """Spec fields the models' jobs differ in; None where a model has no job (or lacks it)."""
    curves: dict[int, dict[str, MetricSeries]] = field(default_factory=dict)
    """Model id → its job's metric series (models trained here only)."""

    @property
    def trained_here(self) -> int:
        return sum(1 for model in self.models if model.job_id)


def compare_models(
    registry: ModelRegistry, model_ids: list[int], *, with_curves: bool = False
) -> Comparison:
    """Read what the comparison shows (off the GUI thread: it reads the database)."""
    ids = list(dict.fromkeys(model_ids))
    if not MIN_MODELS <= len(ids) <= MAX_MODELS:
        raise UserError(
            f"Compare {MIN_MODELS} to {MAX_MODELS} different models ({len(ids)} given)."
        )
    models = [registry.get(model_id) for model_id in ids]
    jobs = [_job(registry, model) for model in models]
    names = {model.id: model.name for model in registry.store.all()}
    specs = {i: job.spec for i, job in enumerate(jobs) if job is not None}
    differences: list[tuple[str, list[Any]]] = []
    if len(specs) >= 2:
        for key, values in spec_differences(list(specs.values())):
            by_model = dict(zip(specs, values, strict=True))
            differences.append((key, [by_model.get(i) for i in range(len(models))]))
    curves: dict[int, dict[str, MetricSeries]] = {}
    if with_curves:
        for model, job in zip(models, jobs, strict=True):
            if job is not None:
                curves[model.id] = registry.jobs.metric_arrays(job.id)
    return Comparison(
        models=models,
        facts=_facts(models, jobs, names),
        metrics=_metrics(models),
        differences=differences,
        curves=curves,
    )


def _job(registry: ModelRegistry, model: ModelRecord) -> Job | None:
    if not model.job_id:
        return None
    try:
        return registry.jobs.get(model.job_id)
    except NotFound:
        return None  # the job was deleted; its model and lineage stay


def _facts(
    models: list[ModelRecord], jobs: list[Job | None], names: dict[int, str]
) -> list[tuple[str, list[str]]]:
    def dataset(model: ModelRecord) -> str:
        data = model.dataset or {}
        return f"{data['name']} · version {data.get('version')}" if data.get("name") else ""

    def seconds(model: ModelRecord) -> str:
        value = (model.facts or {}).get("training_seconds")
        return f"{float(value):.0f} s" if isinstance(value, int | float) else ""

    def base(model: ModelRecord) -> str:
        return names.get(model.base_id, f"#{model.base_id}") if model.base_id else ""

    job_names = [job.name if job else (m.job_id or "") for m, job in zip(models, jobs, strict=True)]
    rows = [
        ("Kind", [model.kind for model in models]),
        ("Task", [model.task_name for model in models]),
        ("Base model", [base(model) for model in models]),
        ("Method", [model.method for model in models]),
        ("Architecture", [model.architecture for model in models]),
        ("Parameters", [f"{m.parameters:,}" if m.parameters else "" for m in models]),
        ("Weights", [model.dtype for model in models]),
        ("Size on disk", [human_bytes(m.size_bytes) if m.size_bytes else "" for m in models]),
        ("Dataset", [dataset(model) for model in models]),
        ("Job", job_names),
        ("Training time", [seconds(model) for model in models]),
        ("Result", [result_text(model.metrics) for model in models]),
    ]
    return [(what, values) for what, values in rows if any(values)]


def _metrics(models: list[ModelRecord]) -> list[tuple[str, list[float | None]]]:
    rows: list[tuple[str, list[float | None]]] = []
    for part, prefix in (("final", ""), ("best", "best "), ("baseline", "baseline ")):
        tables = [(model.metrics or {}).get(part) or {} for model in models]
        names = sorted({name for table in tables for name in table} - NOT_METRICS)
        for name in names:
            values = [_number(table.get(name)) for table in tables]
            if any(value is not None for value in values):
                rows.append((f"{prefix}{name}", values))
    return rows


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def best_column(metric: str, values: list[float | None]) -> int | None:
    """Which model did best on a metric row (None for baselines, ties and lone values)."""
    if metric.startswith("baseline "):
        return None
    known = [(value, i) for i, value in enumerate(values) if value is not None and value == value]
    if len(known) < 2:
        return None
    lower = any(word in metric for word in LOWER_IS_BETTER)
    value, column = min(known) if lower else max(known)
    return None if sum(1 for v, _ in known if v == value) > 1 else column
