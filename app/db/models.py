"""ORM models. Every change here needs an Alembic migration (a test checks)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Stable constraint names, so migrations on SQLite (batch mode) can refer to them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class NotificationRow(Base):
    """A notification shown to the person; kept so the list survives a restart."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    level: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(64), default="")
    """What raised it, e.g. "job:42", so a view can jump to it."""
    read: Mapped[bool] = mapped_column(default=False)

    __table_args__ = (Index("ix_notifications_created_at", "created_at"),)


class JobRow(Base):
    """A training job: its spec, where it runs, and what became of it."""

    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), index=True)
    spec: Mapped[dict] = mapped_column(JSON)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    queue_position: Mapped[int] = mapped_column(Integer, default=0)
    gpus_requested: Mapped[int] = mapped_column(Integer, default=0)
    memory_estimate: Mapped[int | None] = mapped_column(Integer, nullable=True)
    assigned_gpus: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """CUDA_VISIBLE_DEVICES as given to the engine, e.g. "0,1"."""
    run_dir: Mapped[str] = mapped_column(Text)
    pid: Mapped[int | None] = mapped_column(Integer, nullable=True)
    process_start_time: Mapped[float | None] = mapped_column(Float, nullable=True)
    """With the pid, tells our engine from a later process that reused the pid."""
    events_offset: Mapped[int] = mapped_column(Integer, default=0)
    """Bytes of events.jsonl already ingested: a reattach continues from here."""
    total_steps: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_step: Mapped[int] = mapped_column(Integer, default=0)
    exit_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    failure_kind: Mapped[str | None] = mapped_column(String(16), nullable=True)
    failure_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    result: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    """The engine's final evaluation and its baseline: {"final": {…}, "baseline": {…}}."""
    run_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    """Time spent running, over every run of the job (paused and queued time left out)."""
    run_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    """When the current run started (null unless running)."""
    setup_progress: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    """The engine's last setup phase, {"phase", "done", "total"}, until training starts."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class JobTransitionRow(Base):
    """Every status change of a job, with when and why."""

    __tablename__ = "job_transitions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    to_status: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    reason: Mapped[str] = mapped_column(Text, default="")


class JobMetricRow(Base):
    """One value of one metric at one step; (job, kind, step, name) is unique, so a
    replayed event stores nothing twice."""

    __tablename__ = "job_metrics"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))
    """metric or eval."""
    step: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(64))
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    time: Mapped[float] = mapped_column(Float)

    __table_args__ = (
        UniqueConstraint("job_id", "kind", "step", "name", name="uq_job_metrics_point"),
        Index("ix_job_metrics_job_name_step", "job_id", "name", "step"),
    )


class DatasetRow(Base):
    """A named dataset; its data lives in immutable versions."""

    __tablename__ = "datasets"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    current_version: Mapped[int] = mapped_column(Integer)
    """The version jobs and the panes use unless told otherwise."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    """When a job last trained on one of its versions."""


class DatasetVersionRow(Base):
    """One immutable version: where its files are, their checksum, schema and statistics."""

    __tablename__ = "dataset_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    parent: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """The version number this one was made from (None for an import)."""
    operation: Mapped[dict] = mapped_column(JSON)
    """What made it: {"kind": "import" | "filter" | "split" | "labels", …}."""
    kind: Mapped[str] = mapped_column(String(16))
    """table | images."""
    path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(Integer)
    bytes: Mapped[int] = mapped_column(Integer)
    schema: Mapped[list] = mapped_column(JSON)
    """[[column, arrow type], …]."""
    stats: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (UniqueConstraint("dataset_id", "number", name="uq_dataset_versions_number"),)


class ModelRow(Base):
    """A model in the registry: a base (preset, local folder, hub download), a job's
    output (full model or LoRA adapter) or a merge, with where it came from."""

    __tablename__ = "models"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(16), index=True)
    """preset | local | hub | job | merge."""
    method: Mapped[str] = mapped_column(String(16))
    """base | full | lora | merged: what the folder holds."""
    task: Mapped[str] = mapped_column(String(32))
    """The recipe it serves: causal_lm_sft, text_classification, image_classification,
    custom_architecture."""
    path: Mapped[str | None] = mapped_column(Text, nullable=True)
    """The model folder (null for a preset, built by the engine)."""
    owned: Mapped[bool] = mapped_column(default=False)
    """Whether SparkTrainer wrote the folder (and may delete it); a folder the person
    added is never deleted."""
    base_id: Mapped[int | None] = mapped_column(
        ForeignKey("models.id", ondelete="SET NULL"), nullable=True, index=True
    )
    job_id: Mapped[str | None] = mapped_column(
        ForeignKey("jobs.id", ondelete="SET NULL"), nullable=True, unique=True
    )
    dataset: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    """{"name", "version", "sha256", "rows", "path"} of the data it was trained on."""
    architecture: Mapped[str] = mapped_column(String(200), default="")
    parameters: Mapped[int | None] = mapped_column(Integer, nullable=True)
    dtype: Mapped[str] = mapped_column(String(16), default="")
    size_bytes: Mapped[int] = mapped_column(Integer, default=0)
    metrics: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    """{"final": {…}, "best": {…}, "baseline": {…}}."""
    facts: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    """What the engine wrote in sparktrainer.json (spec, split, hardware, time)."""
    card: Mapped[str | None] = mapped_column(Text, nullable=True)
    """The card's Markdown as the person edited it; null: generated from the lineage."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class LabelProjectRow(Base):
    """A labeling project on one dataset version: its schema and where the person was."""

    __tablename__ = "label_projects"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))
    """text_classification | image_classification (one class, or several: `multi_label`)
    | boxes (rectangles with a class on images)."""
    multi_label: Mapped[bool] = mapped_column(default=False)
    column: Mapped[str] = mapped_column(String(200))
    """The text or image column the person labels."""
    classes: Mapped[list] = mapped_column(JSON)
    """[{"name", "colour", "hotkey"}, …] in the order of their number keys."""
    position: Mapped[int] = mapped_column(Integer, default=0)
    """The sample the person was on: a reopened project resumes there."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class LabelRow(Base):
    """One sample's labels (or its skip), written the moment the person makes them."""

    __tablename__ = "labels"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("label_projects.id", ondelete="CASCADE"), index=True
    )
    sample: Mapped[int] = mapped_column(Integer)
    """The row's index in the project's dataset version."""
    classes: Mapped[list] = mapped_column(JSON)
    """The class names given; empty for a skipped sample."""
    skipped: Mapped[bool] = mapped_column(default=False)
    boxes: Mapped[list | None] = mapped_column(JSON, nullable=True)
    """A box project's rectangles, [{"class", "x", "y", "w", "h"}, …] in image pixels (the
    EXIF orientation applied); `classes` then lists the classes they hold."""
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (UniqueConstraint("project_id", "sample", name="uq_labels_sample"),)


class LabelSuggestionRow(Base):
    """A model's proposal for a sample (pre-labeling), kept apart from the person's labels:
    it becomes a label only when the person accepts it."""

    __tablename__ = "label_suggestions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("label_projects.id", ondelete="CASCADE"), index=True
    )
    sample: Mapped[int] = mapped_column(Integer)
    classes: Mapped[list] = mapped_column(JSON)
    confidence: Mapped[float] = mapped_column(Float)
    """The model's probability for its (top) class."""
    model_id: Mapped[int | None] = mapped_column(
        ForeignKey("models.id", ondelete="SET NULL"), nullable=True
    )

    __table_args__ = (UniqueConstraint("project_id", "sample", name="uq_label_suggestions_sample"),)


class NetworkRow(Base):
    """A version of a Builder network saved by name: each save is a new version."""

    __tablename__ = "networks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    version: Mapped[int] = mapped_column(Integer)
    definition: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    __table_args__ = (UniqueConstraint("name", "version", name="uq_networks_version"),)
