"""Settings apply as soon as they change; a reset asks first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core import AppCore
from app.settings import SECTION_TITLES, Option
from views.settings.accounts import AccountsBox
from views.settings.editors import changed_signal, create_editor, editor_value, set_editor_value
from views.widgets.open_folder import open_folder
from views.widgets.pane_frame import PaneFrame


class SettingsPane(PaneFrame):
    def __init__(self, core: AppCore, parent: QWidget | None = None) -> None:
        super().__init__("Settings", "Changes apply at once and are kept across restarts.", parent)
        self._settings = core.settings
        self._editors: dict[str, QWidget] = {}

        content = QWidget()
        column = QVBoxLayout(content)
        column.setContentsMargins(0, 0, 0, 0)
        content.setMaximumWidth(820)
        self.accounts = AccountsBox(core)
        column.addWidget(self.accounts)
        sections: dict[str, QFormLayout] = {}
        for option in self._settings.options():
            form = sections.get(option.section)
            if form is None:
                box = QGroupBox(SECTION_TITLES.get(option.section, option.section.title()))
                form = sections[option.section] = QFormLayout(box)
                form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
                column.addWidget(box)
            editor = create_editor(option, self._settings.get(option))
            changed_signal(editor).connect(lambda *_a, o=option, e=editor: self._on_edited(o, e))
            self._editors[option.key] = editor
            label = QLabel(option.title)
            label.setToolTip(option.description)
            form.addRow(label, editor)
        column.addWidget(self._data_box(core))

        reset = QPushButton("Restore defaults…")
        reset.clicked.connect(self._on_reset_clicked)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(reset)
        column.addLayout(row)
        column.addStretch(1)

        self.add_scrolling(content)
        self._settings.changed.connect(self._on_setting_changed)

    def editor(self, key: str) -> QWidget:
        return self._editors[key]

    def _data_box(self, core: AppCore) -> QGroupBox:
        box = QGroupBox("Data")
        form = QFormLayout(box)
        for title, path in (("Data directory", core.paths.root), ("Logs", core.paths.logs)):
            label = QLabel(str(path))
            label.setProperty("role", "muted")
            open_button = QPushButton("Open")
            open_button.clicked.connect(lambda _c=False, p=path: open_folder(self, Path(p)))
            row = QHBoxLayout()
            row.addWidget(label, 1)
            row.addWidget(open_button)
            form.addRow(title, row)
        return box

    def _on_edited(self, option: Option[Any], editor: QWidget) -> None:
        try:
            self._settings.set(option, editor_value(editor))
        except ValueError as error:
            QMessageBox.warning(self, "Invalid setting", str(error))
            set_editor_value(editor, self._settings.get(option))

    def _on_setting_changed(self, key: str, value: object) -> None:
        editor = self._editors.get(key)
        if editor is not None:
            set_editor_value(editor, value)

    def _on_reset_clicked(self) -> None:
        answer = QMessageBox.question(
            self,
            "Restore defaults",
            "Set every option on this page back to its default?",
            QMessageBox.StandardButton.RestoreDefaults | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        if answer == QMessageBox.StandardButton.RestoreDefaults:
            for option in self._settings.options():
                self._settings.reset(option)
