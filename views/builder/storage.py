"""Where the Builder's network is kept: JSON files, a PyTorch export, and the library of
networks saved by name with a version per save (reopened at start-up).

Database work runs off the GUI thread (run_task); a file is written beside its target
and renamed over it, so a crash never leaves half a network.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog, QInputDialog, QLabel

from app import builder as network
from app.errors import UserError
from app.settings import BUILDER_NETWORK
from app.tasks import run_task
from views.crash_dialog import show_user_error

if TYPE_CHECKING:
    from views.builder.pane import BuilderPane


class NetworkStorage(QObject):
    def __init__(self, pane: BuilderPane) -> None:
        super().__init__(pane)
        self.pane = pane
        self.path: Path | None = None
        """The JSON file the network was opened from or saved to, offered on the next save."""
        self.name: str | None = None
        self.version = 0
        self.saved_as = QLabel()
        self.saved_as.setObjectName("saved-as")
        self.saved_as.setProperty("role", "muted")
        pane.undo_stack.cleanChanged.connect(lambda _clean: self.show_saved())

    # -- files ----------------------------------------------------------------------------

    def open_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.pane, "Open a network", "", "Networks (*.json)")
        if path:
            self.open_path(Path(path))

    def open_path(self, path: Path) -> None:
        try:
            definition = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(definition, dict) or not isinstance(definition.get("layers"), list):
                raise UserError(f"{path.name}: a network definition has input and layers")
        except (OSError, ValueError) as error:
            refused = UserError(f"{path.name}: {error}")
            show_user_error(self.pane, refused, "Cannot open the network")
            return
        except UserError as error:
            show_user_error(self.pane, error, "Cannot open the network")
            return
        self.path = path
        self.pane.edit(f"open {path.name}", network.upgrade(definition), "layers[0]")

    def save_file(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self.pane, "Save the network", str(self.path or "network.json"), "Networks (*.json)"
        )
        if path:
            self.save_path(Path(path))

    def save_path(self, path: Path) -> None:
        temporary = path.with_name(f".{path.name}.saving")
        temporary.write_text(json.dumps(self.pane.definition, indent=2) + "\n", encoding="utf-8")
        temporary.replace(path)  # never half a file, even when it replaces an older save
        self.path = path

    def export_file(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self.pane, "Export as PyTorch", "network.py", "Python (*.py)"
        )
        if path:
            self.export_path(Path(path))

    def export_path(self, path: Path) -> None:
        try:
            source = network.export_source(self.pane.definition, path.stem)
        except network.NetworkError as error:
            refused = UserError(f"{error.path}: {error.message}")
            show_user_error(self.pane, refused, "Cannot export")
            return
        temporary = path.with_name(f".{path.name}.saving")
        temporary.write_text(source, encoding="utf-8")
        temporary.replace(path)

    # -- the library: networks saved by name, a version per save ------------------------------

    def reopen_last(self) -> None:
        core = self.pane.core
        last = core.settings.get(BUILDER_NETWORK)
        if not last:
            return
        library = core.networks
        run_task(
            lambda _s: library.load(last),
            on_done=self._opened_saved,
            on_error=lambda _error, _t: None,  # deleted or renamed since: start afresh
            context=self,
        )

    def save_version(self) -> None:
        name = self.name
        if name is None:
            text, ok = QInputDialog.getText(self.pane, "Save the network", "Name")
            if not ok or not text.strip():
                return
            name = text.strip()
        self.save_named(name)

    def save_named(self, name: str) -> None:
        core = self.pane.core
        library, definition = core.networks, copy.deepcopy(self.pane.definition)

        def saved(found: Any) -> None:
            self.name, self.version = found.name, found.version
            core.settings.set(BUILDER_NETWORK, found.name)
            self.pane.undo_stack.setClean()
            self.show_saved()

        run_task(
            lambda _s: library.save(name, definition),
            on_done=saved,
            on_error=lambda error, _t: show_user_error(self.pane, error, "Cannot save the network"),
            context=self,
        )

    def open_saved(self) -> None:
        library = self.pane.core.networks

        def choose(names: list[tuple[str, int]]) -> None:
            if not names:
                error = UserError("No network is saved yet (Save version, Ctrl+S).")
                show_user_error(self.pane, error)
                return
            items = [f"{name} (version {version})" for name, version in names]
            item, ok = QInputDialog.getItem(
                self.pane, "Open a saved network", "Network", items, 0, False
            )
            if ok:
                self.open_named(names[items.index(item)][0])

        run_task(lambda _s: library.names(), on_done=choose, context=self)

    def open_named(self, name: str, version: int | None = None) -> None:
        library = self.pane.core.networks
        run_task(
            lambda _s: library.load(name, version),
            on_done=self._opened_saved,
            on_error=lambda error, _t: show_user_error(self.pane, error, "Cannot open the network"),
            context=self,
        )

    def _opened_saved(self, found: Any) -> None:
        self.pane.edit(f"open {found.name}", network.upgrade(found.definition), "layers[0]")
        self.name, self.version = found.name, found.version
        self.pane.core.settings.set(BUILDER_NETWORK, found.name)
        self.pane.undo_stack.setClean()
        self.show_saved()

    def show_saved(self) -> None:
        if self.name is None:
            self.saved_as.setText("Not saved yet (Ctrl+S)")
            return
        changed = (
            ""
            if self.pane.undo_stack.isClean()
            else " · changed since (Ctrl+S saves a new version)"
        )
        self.saved_as.setText(f"{self.name} · version {self.version}{changed}")
