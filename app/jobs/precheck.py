"""The checks a job passes before it is queued, and what a spec names: shared by the
job service (the window, a terminal's hand-over) and the wizard's review.

Everything here reads files (the dataset's first rows, a model's headers): callers run
it in a worker, never on the GUI thread.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from app.datasets.store import DatasetStore
from app.errors import UserError
from app.jobs import validation
from app.jobs.estimate import MemoryEstimate, estimate_memory, fits
from engine.spec import SpecError, TrainingSpec


@dataclass
class Precheck:
    """What a submission would do: its memory estimate and anything worth a warning."""

    estimate: MemoryEstimate | None = None
    warnings: list[str] = field(default_factory=list)


def resolve_dataset(datasets: DatasetStore, spec: dict[str, Any]) -> dict[str, Any]:
    """A spec naming a store dataset (`dataset.name`, `dataset.version`) with the path of
    that version's data file filled in; NotFound lists the datasets or versions."""
    dataset = spec.get("dataset")
    if not isinstance(dataset, dict) or not dataset.get("name") or dataset.get("path"):
        return spec
    version = datasets.version(str(dataset["name"]), dataset.get("version"))
    resolved = copy.deepcopy(spec)
    resolved["dataset"].update(
        path=str(version.data_file), name=version.dataset_name, version=version.number
    )
    return resolved


def precheck(spec: dict[str, Any], gpus: int, inventory: Any) -> Precheck:
    """Validate against the spec rules, the dataset and the model; estimate memory.

    Raises `UserError` naming the field for anything that would make the job fail;
    returns warnings (the memory will likely not fit) for what merely might.
    """
    try:
        parsed = TrainingSpec.from_dict({"output_dir": "-", **spec})
    except SpecError as error:
        raise UserError(
            f"The job spec is invalid: {error}",
            f"Fix the field {error.field or 'named'} and submit again.",
        ) from error
    validation.check_dataset(spec)
    validation.check_model(spec)
    result = Precheck()
    shape = validation.model_shape(spec)
    if shape is not None:
        hyper = parsed.hyperparameters
        result.estimate = estimate_memory(
            shape,
            method=parsed.method,
            precision=hyper.precision,
            batch_size=hyper.batch_size,
            sequence_length=hyper.max_seq_length,
            gradient_checkpointing=hyper.gradient_checkpointing,
        )
    if gpus and result.estimate is not None:
        free = [g.memory_free for g in inventory.gpus()]
        if len(free) < gpus:
            result.warnings.append(
                f"The job asks for {gpus} GPU(s); {len(free)} found. It waits in the queue."
            )
        elif free:
            best = max((f for f in free if f is not None), default=None)
            ok, sentence = fits(result.estimate, best)
            if not ok:
                result.warnings.append(sentence)
    return result
