"""The network as a tree for the Builder's view: a row per layer (a Residual block's
layers under it) with its output shape, parameters and FLOPs from engine/network.py, and
the row of an error in the error colour with the message as its tooltip.

The model holds the definition; every edit replaces it and re-analyses (a fraction of a
millisecond for fifty layers, so the shapes are current before the next paint).
"""

from __future__ import annotations

import copy
import json
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QByteArray,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor

from app import builder as network

Index = QModelIndex | QPersistentModelIndex
HEADERS = ("Layer", "Output", "Parameters", "FLOPs")
ERROR_COLOUR = QColor("#e03131")


def _shown(shape: tuple[int, ...] | None) -> str:
    return "×".join(str(s) for s in shape) if shape else "—"


def layer_text(layer: dict[str, Any]) -> str:
    """ "Conv2d 16, 3×3, stride 2": the type and its arguments that differ from defaults."""
    kind = str(layer.get("type"))
    defaults = network.ARGUMENTS.get(kind, {})
    parts = []
    for name, value in layer.items():
        if name in ("type", "layers") or value == defaults.get(name, (None,))[0]:
            continue
        parts.append(f"{name.replace('_', ' ')} {value}")
    return kind + (f" ({', '.join(parts)})" if parts else "")


MIME_TYPE = "application/x-sparktrainer-layer-path"


def moved(definition: dict[str, Any], source: str, parent: str, row: int) -> tuple[dict, str]:
    """The definition with the layer at `source` moved to position `row` of the block at
    `parent` ("" for the top level), and the moved layer's new path."""
    result = copy.deepcopy(definition)
    if parent:  # found before the source leaves: its own index may shift when it does
        holder, at = network.locate(result, parent)
        target = holder[at]["layers"]
    else:
        target = result["layers"]
    layers, index = network.locate(result, source)
    layer = layers.pop(index)
    if target is layers and index < row:
        row -= 1  # the rows after the source moved up by one when it left
    row = max(0, min(row, len(target)))
    target.insert(row, layer)
    return result, _path_of(result, target, row)


def _path_of(definition: dict[str, Any], target: list[Any], row: int) -> str:
    """The path of position `row` in the list `target` (found by identity)."""

    def walk(layers: list[Any], prefix: str) -> str | None:
        if layers is target:
            return f"{prefix}[{row}]"
        for i, layer in enumerate(layers):
            if isinstance(layer, dict) and layer.get("type") == "Residual":
                found = walk(layer.get("layers") or [], f"{prefix}[{i}].layers")
                if found:
                    return found
        return None

    return walk(definition["layers"], "layers") or f"layers[{row}]"


class NetworkModel(QAbstractItemModel):
    analysed = Signal()
    """The definition changed and its analysis is fresh."""
    move_requested = Signal(dict, str)
    """A layer was dragged elsewhere: (the new definition, the moved layer's path). The
    pane makes it an edit (undoable); the model itself changes only through it."""

    def __init__(self, definition: dict[str, Any], parent: Any = None) -> None:
        super().__init__(parent)
        self.definition = copy.deepcopy(definition)
        self.analysis: network.Analysis | None = None
        self.input_error: network.NetworkError | None = None
        self._info: dict[str, network.LayerInfo] = {}
        self._analyse()

    # -- the definition -------------------------------------------------------------------

    def set_definition(self, definition: dict[str, Any]) -> None:
        self.beginResetModel()
        self.definition = copy.deepcopy(definition)
        self._analyse()
        self.endResetModel()
        self.analysed.emit()

    def _analyse(self) -> None:
        try:
            self.analysis = network.analyse(self.definition)
            self.input_error = None
        except network.NetworkError as error:
            self.analysis, self.input_error = None, error
        self._info = {i.path: i for i in self.analysis.layers} if self.analysis else {}

    def layer(self, path: str) -> dict[str, Any]:
        layers, index = network.locate(self.definition, path)
        return layers[index]

    def info(self, path: str) -> network.LayerInfo | None:
        return self._info.get(path)

    # -- the tree -------------------------------------------------------------------------
    # An index's internal id is its position in the list of its parent's layers, and the
    # parent is found from the path kept in `_paths` (ids are stable between resets).

    def _children(self, path: str) -> list[Any]:
        if not path:
            return list(self.definition.get("layers") or [])
        layer = self.layer(path)
        return list(layer.get("layers") or []) if layer.get("type") == "Residual" else []

    def path_of(self, index: Index) -> str:
        if not index.isValid():
            return ""
        return str(index.internalPointer())

    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        base = self.path_of(parent)
        if not 0 <= row < len(self._children(base)):
            return QModelIndex()
        path = f"{base}.layers[{row}]" if base else f"layers[{row}]"
        return self.createIndex(row, column, self._interned(path))

    def _interned(self, path: str) -> str:
        # createIndex keeps a pointer: the string must outlive the index.
        kept = self.__dict__.setdefault("_strings", {})
        return kept.setdefault(path, path)

    def index_of(self, path: str, column: int = 0) -> QModelIndex:
        if not path:
            return QModelIndex()
        parent, _, last = path.rpartition(".layers[") if ".layers[" in path else ("", "", path)
        row = int(last.removeprefix("layers[").rstrip("]"))
        return self.index(row, column, self.index_of(parent))

    def parent(self, index: Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        path = self.path_of(index)
        if ".layers[" not in path:
            return QModelIndex()
        return self.index_of(path.rsplit(".layers[", 1)[0])

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid() and parent.column() != 0:
            return 0
        try:
            return len(self._children(self.path_of(parent)))
        except (KeyError, IndexError, ValueError):
            return 0

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return len(HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        path = self.path_of(index)
        info = self._info.get(path)
        if role == Qt.ItemDataRole.DisplayRole:
            if index.column() == 0:
                return layer_text(self.layer(path))
            if info is None or info.error is not None:
                return "—" if index.column() == 1 else ""
            return (_shown(info.output), f"{info.params:,}", f"{info.flops:,}")[index.column() - 1]
        if role == Qt.ItemDataRole.ForegroundRole and info is not None and info.error is not None:
            return QBrush(ERROR_COLOUR)
        if role == Qt.ItemDataRole.ToolTipRole and info is not None and info.error is not None:
            return info.error.message
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() > 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    # -- drag and drop: a layer moved within the network, into or out of Residual blocks ----

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if not index.isValid():
            return Qt.ItemFlag.ItemIsDropEnabled  # onto the empty space: the end of the list
        flags = base | Qt.ItemFlag.ItemIsDragEnabled
        if self.layer(self.path_of(index)).get("type") == "Residual":
            flags |= Qt.ItemFlag.ItemIsDropEnabled
        return flags

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:
        return [MIME_TYPE]

    def mimeData(self, indexes: list[QModelIndex]) -> QMimeData:  # type: ignore[override]
        data = QMimeData()
        paths = sorted({self.path_of(i) for i in indexes if i.isValid()})
        data.setData(MIME_TYPE, QByteArray(json.dumps(paths[:1]).encode()))
        return data

    def canDropMimeData(  # noqa: N802 - Qt's name
        self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: Index
    ) -> bool:
        if not data.hasFormat(MIME_TYPE):
            return False
        paths = json.loads(bytes(data.data(MIME_TYPE).data()).decode())
        target = self.path_of(parent)
        # A block cannot go inside itself.
        return bool(paths) and not (target == paths[0] or target.startswith(f"{paths[0]}."))

    def dropMimeData(
        self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: Index
    ) -> bool:
        if not self.canDropMimeData(data, action, row, column, parent):
            return False
        source = json.loads(bytes(data.data(MIME_TYPE).data()).decode())[0]
        target = self.path_of(parent)
        if row < 0:  # dropped onto a block: at its end
            row = len(self._children(target))
        definition, path = moved(self.definition, source, target, row)
        self.move_requested.emit(definition, path)
        return False  # the pane's edit replaces the model: the view removes nothing
