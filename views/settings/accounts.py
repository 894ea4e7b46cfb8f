"""Settings → Accounts and tokens: secrets in the OS keyring (or the encrypted file)."""

from __future__ import annotations

from PySide6.QtCore import QStringListModel
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListView,
    QMessageBox,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core import AppCore
from app.credentials.service import HUGGINGFACE, WELL_KNOWN, check_huggingface_token
from app.errors import UserError
from app.tasks import run_task
from views.crash_dialog import show_user_error


class SecretField(QWidget):
    """A masked field with reveal, Save and Delete (and Test for the Hub token)."""

    def __init__(self, box: AccountsBox, name: str, *, testable: bool = False) -> None:
        super().__init__()
        self.name, self._box = name, box
        self.edit = QLineEdit()
        self.edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.edit.setPlaceholderText("not set")
        self.edit.setObjectName(f"secret:{name}")
        self.reveal = QToolButton()
        self.reveal.setText("Show")
        self.reveal.setCheckable(True)
        self.reveal.toggled.connect(self._on_reveal_toggled)
        self.save = QPushButton("Save")
        self.save.clicked.connect(lambda: box.save(name, self.edit.text()))
        self.delete = QPushButton("Delete")
        self.delete.clicked.connect(lambda: box.delete(name))
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        for widget in (self.edit, self.reveal, self.save, self.delete):
            row.addWidget(widget)
        if testable:
            self.test = QPushButton("Test")
            self.test.setToolTip("Ask the Hugging Face Hub whose token this is (needs internet)")
            self.test.clicked.connect(self._on_test_clicked)
            row.addWidget(self.test)

    def _on_reveal_toggled(self, shown: bool) -> None:
        self.edit.setEchoMode(QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password)
        self.reveal.setText("Hide" if shown else "Show")

    def _on_test_clicked(self) -> None:
        token = self.edit.text()
        if not token:
            show_user_error(self, UserError("There is no token to test.", "Paste one first."))
            return
        self.test.setEnabled(False)

        def done(user: str) -> None:
            QMessageBox.information(self, "Token works", f"The Hub knows this token: {user}.")

        run_task(
            lambda _s: check_huggingface_token(token),
            on_done=done,
            on_error=lambda error, _t: show_user_error(self, error, "Token test"),
            on_finished=lambda: self.test.setEnabled(True),
            context=self,
        )


class AccountsBox(QGroupBox):
    def __init__(self, core: AppCore, parent: QWidget | None = None) -> None:
        super().__init__("Accounts and tokens", parent)
        self._service = core.credentials
        self.store_label = QLabel(f"Kept in {self._service.store_description}.")
        self.store_label.setWordWrap(True)
        self.store_label.setProperty("role", "muted")
        self.unlock_button = QPushButton("Unlock…")
        self.unlock_button.clicked.connect(self._on_unlock_clicked)
        form = QFormLayout(self)
        form.addRow(self.store_label)
        unlock_row = QHBoxLayout()
        unlock_row.addWidget(self.unlock_button)
        unlock_row.addStretch(1)
        form.addRow(unlock_row)
        self.fields: dict[str, SecretField] = {}
        for name, title in WELL_KNOWN.items():
            field = SecretField(self, name, testable=name == HUGGINGFACE)
            self.fields[name] = field
            form.addRow(title.replace("&", "&&"), field)

        self.custom = QStringListModel(self)
        custom_view = QListView()
        custom_view.setModel(self.custom)
        custom_view.setMaximumHeight(90)
        custom_view.clicked.connect(lambda index: self.custom_name.setText(index.data()))
        self.custom_name = QLineEdit()
        self.custom_name.setPlaceholderText("name, e.g. openai")
        self.custom_value = QLineEdit()
        self.custom_value.setEchoMode(QLineEdit.EchoMode.Password)
        self.custom_value.setPlaceholderText("value")
        add = QPushButton("Save")
        add.clicked.connect(lambda: self.save(self.custom_name.text(), self.custom_value.text()))
        remove = QPushButton("Delete")
        remove.clicked.connect(lambda: self.delete(self.custom_name.text()))
        self.custom_area = QWidget()
        area = QVBoxLayout(self.custom_area)
        area.setContentsMargins(0, 0, 0, 0)
        area.addWidget(custom_view)
        row = QHBoxLayout()
        for widget in (self.custom_name, self.custom_value, add, remove):
            row.addWidget(widget)
        area.addLayout(row)
        form.addRow("Other secrets", self.custom_area)

        self._service.store_changed.connect(self._on_store_changed)
        self._service.secrets_changed.connect(self.reload)
        self._on_store_changed(self._service.store_description)

    # -- state -----------------------------------------------------------------------------

    def _ready(self) -> bool:
        return self._service.probed and not self._service.needs_passphrase

    def _on_store_changed(self, description: str) -> None:
        self.store_label.setText(
            f"Kept in {description}. Tokens are never written to the "
            "database, settings, logs or run folders."
        )
        self.unlock_button.setVisible(self._service.needs_passphrase)
        self.unlock_button.setText(
            "Unlock…" if self._service.file_store_exists else "Set a passphrase…"
        )
        for widget in (*self.fields.values(), self.custom_area):
            widget.setEnabled(self._ready())
        self.reload()

    def reload(self) -> None:
        if not self._ready():
            return
        service = self._service

        def load(_state):
            return {n: service.get(n) for n in WELL_KNOWN}, service.names()

        def show(result) -> None:
            values, names = result
            for name, field in self.fields.items():
                field.edit.setText(values.get(name) or "")
            self.custom.setStringList([n for n in names if n not in WELL_KNOWN])

        run_task(load, on_done=show, on_error=lambda e, _t: show_user_error(self, e), context=self)

    # -- actions ---------------------------------------------------------------------------

    def save(self, name: str, value: str) -> None:
        service = self._service
        run_task(
            lambda _s: service.set(name, value),
            on_error=lambda e, _t: show_user_error(self, e),
            context=self,
        )

    def delete(self, name: str) -> None:
        if not name:
            return
        answer = QMessageBox.question(
            self,
            "Delete secret",
            f"Delete the secret {name!r}? Jobs that need it will fail.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        service = self._service
        run_task(
            lambda _s: service.delete(name),
            on_error=lambda e, _t: show_user_error(self, e),
            context=self,
        )

    def _on_unlock_clicked(self) -> None:
        creating = not self._service.file_store_exists
        passphrase, ok = QInputDialog.getText(
            self,
            "Secret store",
            "Choose a passphrase to encrypt your tokens:"
            if creating
            else "Passphrase of the secret store:",
            QLineEdit.EchoMode.Password,
        )
        if not ok:
            return
        confirmation = None
        if creating:
            confirmation, ok = QInputDialog.getText(
                self,
                "Secret store",
                "The same passphrase again:",
                QLineEdit.EchoMode.Password,
            )
            if not ok:
                return
        service = self._service
        self.unlock_button.setEnabled(False)

        run_task(
            lambda _s: service.unlock(passphrase, confirmation),
            on_error=lambda e, _t: show_user_error(self, e, "Secret store"),
            on_finished=lambda: self.unlock_button.setEnabled(True),
            context=self,
        )


__all__ = ["AccountsBox"]
