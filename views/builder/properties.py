"""Editors for the Builder: a layer's arguments, and the network's input and head. Each
edit is handed back whole (`changed`) so the pane can push it on its undo stack."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QWidget,
)

from app import builder as network

INPUT_KINDS = {
    "image": ("channels", "height", "width"),
    "vector": ("size",),
    "tokens": ("vocab_size", "length"),
    "tabular": (),
}
"""What each input kind is sized by; a tabular input names its dataset's columns instead."""


def _spin(value: int, smallest: int = 0, largest: int = 1_000_000) -> QSpinBox:
    box = QSpinBox(minimum=smallest, maximum=largest)
    box.setValue(int(value))
    box.setKeyboardTracking(False)  # one edit (and one undo step) per value, not per digit
    return box


class LayerEditor(QWidget):
    changed = Signal(dict)
    """The layer with the edit made."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.form = QFormLayout(self)
        self.layer: dict[str, Any] | None = None
        self.path = ""
        self.fields: dict[str, QWidget] = {}

    def show_layer(self, layer: dict[str, Any] | None, path: str = "") -> None:
        """The editor for `layer`; the same layer again (after its own edit, an undo) only
        gets its values, so the field being typed in stays."""
        if (
            layer is not None
            and self.layer is not None
            and path == self.path
            and (layer.get("type") == self.layer.get("type"))
        ):
            self.layer = dict(layer)
            self._show_values(layer)
            return
        self.path = path
        while self.form.rowCount():
            self.form.removeRow(0)
        self.fields.clear()
        self.layer = dict(layer) if layer else None
        if layer is None:
            self.form.addRow(QLabel("Choose a layer to edit it."))
            return
        kind = str(layer.get("type"))
        self.form.addRow(QLabel(f"<b>{kind}</b>"))
        arguments = network.ARGUMENTS.get(kind, {})
        if not arguments or set(arguments) == {"layers"}:
            self.form.addRow(QLabel("No settings."))
        for name, (default, smallest) in arguments.items():
            if name == "layers":
                continue
            value = layer.get(name, default)
            widget: QWidget
            if name == "output":
                combo = QComboBox()
                combo.addItems(["last", "mean"])
                combo.setCurrentText(str(value))
                combo.currentTextChanged.connect(lambda v, n=name: self._set(n, v))
                widget = combo
            elif isinstance(default, bool) or name == "bias":
                check = QCheckBox()
                check.setChecked(bool(value))
                check.toggled.connect(lambda v, n=name: self._set(n, v))
                widget = check
            elif name in ("p", "dropout"):
                number = QDoubleSpinBox(minimum=0.0, maximum=0.99, singleStep=0.05)
                number.setKeyboardTracking(False)
                number.setValue(float(value))
                number.valueChanged.connect(lambda v, n=name: self._set(n, v))
                widget = number
            else:
                spin = _spin(value if value is not None else 0, int(smallest))
                if value is None:  # a pool's stride: its kernel size unless set
                    spin.setSpecialValueText("as the kernel")
                spin.valueChanged.connect(
                    lambda v, n=name, s=spin: self._set(
                        n, None if v == s.minimum() and s.specialValueText() else v
                    )
                )
                widget = spin
            widget.setObjectName(f"argument-{name}")
            self.fields[name] = widget
            self.form.addRow(name.replace("_", " ").capitalize(), widget)

    def _show_values(self, layer: dict[str, Any]) -> None:
        arguments = network.ARGUMENTS.get(str(layer.get("type")), {})
        for name, widget in self.fields.items():
            value = layer.get(name, arguments[name][0])
            widget.blockSignals(True)
            if isinstance(widget, QCheckBox):
                widget.setChecked(bool(value))
            elif isinstance(widget, QComboBox):
                widget.setCurrentText(str(value))
            elif isinstance(widget, QDoubleSpinBox):
                widget.setValue(float(value))
            elif isinstance(widget, QSpinBox):
                widget.setValue(int(value) if value is not None else widget.minimum())
            widget.blockSignals(False)

    def _set(self, name: str, value: Any) -> None:
        if self.layer is None:
            return
        if value is None:
            self.layer.pop(name, None)
        else:
            self.layer[name] = value
        self.changed.emit(dict(self.layer))


class InputEditor(QWidget):
    changed = Signal(dict, int)
    """(the input, the number of classes)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.form = QFormLayout(self)
        self.kind = QComboBox()
        self.kind.setObjectName("input-kind")
        self.kind.addItems(list(INPUT_KINDS))
        self.form.addRow("Input", self.kind)
        self.sizes: dict[str, QSpinBox] = {}
        for name in dict.fromkeys(n for names in INPUT_KINDS.values() for n in names):
            spin = _spin(8, 1)
            spin.setObjectName(f"input-{name}")
            spin.valueChanged.connect(lambda _v: self._emit())
            self.sizes[name] = spin
            self.form.addRow(name.replace("_", " ").capitalize(), spin)
        self.columns = QLabel()
        self.form.addRow("Columns", self.columns)
        self.classes = _spin(2, 1, 100_000)
        self.classes.setObjectName("head-classes")
        self.classes.valueChanged.connect(lambda _v: self._emit())
        self.form.addRow("Classes", self.classes)
        self._features: list[str] = []
        self._quiet = False
        self.kind.currentTextChanged.connect(self._kind_changed)
        self._show_rows()

    def show_input(self, spec: dict[str, Any], classes: int) -> None:
        self._quiet = True
        self._features = list(spec.get("features") or [])
        self.kind.setCurrentText(str(spec.get("kind", "vector")))
        for name, spin in self.sizes.items():
            if name in spec:
                spin.setValue(int(spec[name]))
        self.columns.setText(", ".join(self._features) or "(the dataset's numeric columns)")
        self.classes.setValue(classes)
        self._show_rows()
        self._quiet = False

    def _kind_changed(self, _kind: str) -> None:
        self._show_rows()
        self._emit()

    def _show_rows(self) -> None:
        wanted = INPUT_KINDS[self.kind.currentText()]
        for name, spin in self.sizes.items():
            self.form.setRowVisible(spin, name in wanted)
        self.form.setRowVisible(self.columns, self.kind.currentText() == "tabular")

    def _emit(self) -> None:
        if self._quiet:
            return
        kind = self.kind.currentText()
        spec: dict[str, Any] = {"kind": kind}
        spec.update({name: self.sizes[name].value() for name in INPUT_KINDS[kind]})
        if kind == "tabular":
            spec["features"] = self._features or ["x1"]
        self.changed.emit(spec, self.classes.value())
