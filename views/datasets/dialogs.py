"""Quality filter and split dialogs: each shows what it would keep before anything is written.

The version's table is read once in a worker; every change of an option
re-runs the pure operation (app.datasets.operations) in a worker after a short
pause in typing, and the newest answer wins.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pyarrow as pa
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.datasets import operations
from app.datasets.store import DatasetStore, DatasetVersion
from app.errors import UserError
from app.tasks import run_task

DEBOUNCE_MS = 250


EXPORT_FORMATS = {
    "CSV (*.csv)": "csv",
    "CSV keeping spreadsheet formulas (*.csv)": "csv-formulas",
    "JSON Lines (*.jsonl)": "jsonl",
    "Parquet (*.parquet)": "parquet",
}
"""Export's save-dialog filters and what each writes ("csv-formulas": CSV, formulas kept)."""


class _PreviewDialog(QDialog):
    """Reads the version once, then recomputes `_preview(table)` whenever an option changes."""

    def __init__(
        self, store: DatasetStore, version: DatasetVersion, parent: QWidget | None
    ) -> None:
        super().__init__(parent)
        self.version = version
        self._table: pa.Table | None = None
        self._generation = 0
        self.outcome = QLabel("Reading the data…")
        self.outcome.setObjectName("outcome")
        self.outcome.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.ok_button.setEnabled(False)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self._recompute)
        run_task(
            lambda _state: store.read(version),
            on_done=self._on_table,
            on_error=lambda error, _text: self.outcome.setText(str(error)),
            context=self,
        )

    @property
    def ok_button(self):
        return self.buttons.button(QDialogButtonBox.StandardButton.Ok)

    def changed(self, *_args) -> None:
        self.ok_button.setEnabled(False)
        self._timer.start()

    def _on_table(self, table: pa.Table) -> None:
        self._table = table
        self._recompute()

    def _recompute(self) -> None:
        if self._table is None:
            return
        self._generation += 1
        generation, table = self._generation, self._table
        self.outcome.setText("Counting…")

        def show(text: str) -> None:
            if generation == self._generation:
                self.outcome.setText(text)
                self.ok_button.setEnabled(True)

        def failed(error: BaseException, _text: str) -> None:
            if generation == self._generation:
                self.outcome.setText(str(error))
                self.ok_button.setEnabled(False)

        run_task(lambda _s: self._preview(table), on_done=show, on_error=failed, context=self)

    def _preview(self, table: pa.Table) -> str:
        raise NotImplementedError

    @property
    def preview_ready(self) -> bool:
        return self.ok_button.isEnabled()


def _string_columns(version: DatasetVersion) -> list[str]:
    return [name for name, kind in version.schema if kind in ("string", "large_string")]


class FilterDialog(_PreviewDialog):
    def __init__(self, store: DatasetStore, version: DatasetVersion, parent: QWidget | None = None):
        super().__init__(store, version, parent)
        self.setWindowTitle(f"Clean up {version.dataset_name} v{version.number}")
        stats = version.stats
        self.drop_empty = QCheckBox("Drop rows with an empty value")
        self.drop_duplicates = QCheckBox("Drop duplicate rows")
        self.text_column = QComboBox()
        self.text_column.addItems(_string_columns(version))
        if stats.get("text_column"):
            self.text_column.setCurrentText(stats["text_column"])
        self.min_length = QSpinBox()
        self.max_length = QSpinBox()
        for box, special in ((self.min_length, "no minimum"), (self.max_length, "no maximum")):
            box.setRange(0, 10_000_000)
            box.setSpecialValueText(special)
            box.setGroupSeparatorShown(True)
            box.setSuffix(" characters")
        self.labels = QListWidget()
        self.labels.setObjectName("keep-labels")
        self.labels.setMaximumHeight(140)
        for label, count in stats.get("labels") or []:
            item = QListWidgetItem(f"{label}  ({count:,})")
            item.setData(Qt.ItemDataRole.UserRole, str(label))
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
            self.labels.addItem(item)

        form = QFormLayout()
        form.addRow(self.drop_empty)
        form.addRow(self.drop_duplicates)
        if self.text_column.count():
            form.addRow("Text column", self.text_column)
            lengths = QHBoxLayout()
            lengths.addWidget(self.min_length)
            lengths.addWidget(QLabel("to"))
            lengths.addWidget(self.max_length)
            form.addRow("Length", lengths)
        if self.labels.count():
            form.addRow(f"Keep labels ({stats.get('label_column')})", self.labels)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.outcome)
        layout.addWidget(self.buttons)
        for signal in (
            self.drop_empty.toggled,
            self.drop_duplicates.toggled,
            self.text_column.currentIndexChanged,
            self.min_length.valueChanged,
            self.max_length.valueChanged,
            self.labels.itemChanged,
        ):
            signal.connect(self.changed)

    def options(self) -> operations.FilterOptions:
        min_length, max_length = self.min_length.value(), self.max_length.value()
        unchecked = [
            self.labels.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(self.labels.count())
            if self.labels.item(i).checkState() != Qt.CheckState.Checked
        ]
        return operations.FilterOptions(
            drop_empty=self.drop_empty.isChecked(),
            drop_duplicates=self.drop_duplicates.isChecked(),
            text_column=self.text_column.currentText() or None,
            min_length=min_length or None,
            max_length=max_length or None,
            label_column=self.version.stats.get("label_column") if unchecked else None,
            drop_labels=unchecked,
        )

    def _preview(self, table: pa.Table) -> str:
        options = self.options()
        if not options.describe().keys() - {"text_column"}:
            return "Choose what to drop; nothing would change yet."
        kept = operations.apply_filters(table, options).num_rows
        dropped = table.num_rows - kept
        if not kept:
            raise UserError("These filters would drop every row.")
        return f"Keeps {kept:,} of {table.num_rows:,} rows ({dropped:,} dropped)."


class SplitDialog(_PreviewDialog):
    def __init__(self, store: DatasetStore, version: DatasetVersion, parent: QWidget | None = None):
        super().__init__(store, version, parent)
        self.setWindowTitle(f"Split {version.dataset_name} v{version.number}")
        self.fractions: dict[str, QDoubleSpinBox] = {}
        form = QFormLayout()
        for name, default in zip(operations.SPLITS, (0.8, 0.1, 0.1), strict=True):
            box = QDoubleSpinBox()
            box.setObjectName(f"split-{name}")
            box.setRange(0.0, 1.0)
            box.setSingleStep(0.05)
            box.setDecimals(3)
            box.setValue(default)
            box.valueChanged.connect(self.changed)
            self.fractions[name] = box
            form.addRow(name.capitalize(), box)
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setValue(42)
        self.seed.valueChanged.connect(self.changed)
        form.addRow("Seed", self.seed)
        self.stratify = QCheckBox("Keep each label's share in every split")
        label_column = version.stats.get("label_column")
        self.stratify.setEnabled(bool(label_column))
        self.stratify.setChecked(bool(label_column))
        if label_column:
            self.stratify.setText(f"Stratify by {label_column!r}: {self.stratify.text().lower()}")
        self.stratify.toggled.connect(self.changed)
        form.addRow(self.stratify)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.outcome)
        layout.addWidget(self.buttons)

    def values(self) -> dict[str, Any]:
        return {
            "fractions": {name: box.value() for name, box in self.fractions.items()},
            "seed": self.seed.value(),
            "stratify": self.version.stats.get("label_column")
            if self.stratify.isChecked()
            else None,
        }

    def _preview(self, table: pa.Table) -> str:
        values = self.values()
        fractions = {k: v for k, v in values["fractions"].items() if v}
        result = operations.split(
            table.select([values["stratify"]]) if values["stratify"] else table.select([]),
            fractions,
            seed=values["seed"],
            stratify=values["stratify"],
        )
        counts = Counter(result["split"].to_pylist())
        return ", ".join(f"{name} {counts.get(name, 0):,}" for name in fractions) + " rows."
