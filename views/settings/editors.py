"""One editor widget per option type, generated from the option's declaration."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QSpinBox, QWidget

from app.settings import Option


def create_editor(option: Option[Any], value: Any, parent: QWidget | None = None) -> QWidget:
    if option.type is bool:
        editor = QCheckBox(parent)
        editor.setChecked(bool(value))
    elif option.choices:
        editor = QComboBox(parent)
        for choice in option.choices:
            editor.addItem(str(choice).capitalize(), choice)
        editor.setCurrentIndex(option.choices.index(value))
    elif option.type is int:
        editor = QSpinBox(parent)
        editor.setRange(int(option.minimum or 0), int(option.maximum or 2**31 - 1))
        editor.setValue(int(value))
    else:
        editor = QLineEdit(str(value), parent)
    editor.setToolTip(option.description)
    editor.setObjectName(f"setting:{option.key}")
    return editor


def editor_value(editor: QWidget) -> Any:
    if isinstance(editor, QCheckBox):
        return editor.isChecked()
    if isinstance(editor, QComboBox):
        return editor.currentData()
    if isinstance(editor, QSpinBox):
        return editor.value()
    assert isinstance(editor, QLineEdit)
    return editor.text()


def set_editor_value(editor: QWidget, value: Any) -> None:
    """Show a value that changed elsewhere, without echoing it back as an edit."""
    editor.blockSignals(True)
    try:
        if isinstance(editor, QCheckBox):
            editor.setChecked(bool(value))
        elif isinstance(editor, QComboBox):
            editor.setCurrentIndex(max(0, editor.findData(value)))
        elif isinstance(editor, QSpinBox):
            editor.setValue(int(value))
        elif isinstance(editor, QLineEdit):
            editor.setText(str(value))
    finally:
        editor.blockSignals(False)


def changed_signal(editor: QWidget):
    if isinstance(editor, QCheckBox):
        return editor.toggled
    if isinstance(editor, QComboBox):
        return editor.currentIndexChanged
    if isinstance(editor, QSpinBox):
        return editor.valueChanged
    return editor.editingFinished
