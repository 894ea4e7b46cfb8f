"""The Builder pane with real key and mouse events: layers added from the palette, edited,
nested in a Residual block and reordered, with the shapes and counts updating; an error
shown with its fix, applied in one click; undo and redo; JSON saved and opened; and the
PyTorch export written."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from PySide6.QtCore import Qt

from app import builder

# Opens a window: left out of the quick tier.
pytestmark = pytest.mark.slow


@pytest.fixture
def pane(core, qtbot):
    from views.builder.pane import BuilderPane

    made = BuilderPane(core)
    qtbot.addWidget(made)
    made.resize(1200, 700)
    made.show()
    return made


def _rows(pane) -> list[tuple[str, str, str]]:
    model, found = pane.model, []

    def walk(parent) -> None:
        for row in range(model.rowCount(parent)):
            index = model.index(row, 0, parent)
            found.append(
                (
                    index.data(),
                    model.index(row, 1, parent).data(),
                    model.index(row, 2, parent).data(),
                )
            )
            walk(index)

    walk(model.index(-1, 0))
    return found


def _palette(pane, qtbot, kind: str) -> None:
    row = builder.LAYER_TYPES.index(kind)
    index = pane.layer_palette.model().index(row, 0)
    rect = pane.layer_palette.visualRect(index)
    viewport = pane.layer_palette.viewport()
    # As a mouse does it: a click (the press the view remembers), then the double click.
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(viewport, Qt.MouseButton.LeftButton, pos=rect.center())


def test_build_edit_nest_reorder_and_fix(pane, qtbot, tmp_path) -> None:
    pane.start_from(builder.TEMPLATES["Small CNN"], "Small CNN")
    assert _rows(pane)[0] == ("Conv2d (out channels 16, padding 1)", "16×32×32", "448")
    analysis = builder.check(builder.TEMPLATES["Small CNN"])
    assert f"{analysis.params:,} parameters" in pane.summary.text()

    # The first conv's channels edited: its shape, the next layers' and the total follow.
    pane.select("layers[0]")
    spin = pane.layer_editor.fields["out_channels"]
    spin.selectAll()
    qtbot.keyClicks(spin, "8")
    qtbot.keyClick(spin, Qt.Key.Key_Return)
    assert _rows(pane)[0][1] == "8×32×32" and _rows(pane)[1][2] == "16"  # BatchNorm2d of 8
    assert pane.definition["layers"][0]["out_channels"] == 8

    # Remove the Flatten: the Linear after it is an error, with a fix one click away.
    pane.select("layers[8]")
    assert pane.model.layer("layers[8]")["type"] == "Flatten"
    pane.remove_action.trigger()
    assert "Linear takes features" in pane.problem.text() and pane.fix_button.isVisible()
    qtbot.mouseClick(pane.fix_button, Qt.MouseButton.LeftButton)
    assert pane.model.layer("layers[8]")["type"] == "Flatten" and not pane.problem.text()

    # Undo the fix, then the removal; redo both.
    pane.undo_action.trigger()
    assert pane.model.analysis.errors
    pane.undo_action.trigger()
    pane.redo_action.trigger()
    pane.redo_action.trigger()
    assert not pane.model.analysis.errors

    # Add a layer from the palette after the selected one, wrap it in a Residual, reorder.
    pane.select("layers[2]")  # the first ReLU
    _palette(pane, qtbot, "BatchNorm2d")
    assert pane.model.layer("layers[3]")["type"] == "BatchNorm2d"
    pane.wrap_action.trigger()
    assert pane.model.layer("layers[3]") == {
        "type": "Residual",
        "layers": [{"type": "BatchNorm2d"}],
    }
    assert ("BatchNorm2d", "8×32×32", "16") in _rows(pane)  # nested under the block
    pane.select("layers[3]")
    pane.down_action.trigger()
    assert pane.model.layer("layers[4]")["type"] == "Residual"
    assert pane.selected_path() == "layers[4]"
    assert not pane.model.analysis.errors

    # Save, open again, export: the module builds alone with the pane's parameter count.
    saved = tmp_path / "cnn.json"
    pane.storage.save_path(saved)
    pane.start_from(builder.TEMPLATES["MLP"], "MLP")
    pane.storage.open_path(saved)
    assert pane.definition == json.loads(saved.read_text())
    module = tmp_path / "cnn_net.py"
    pane.storage.export_path(module)
    done = subprocess.run([sys.executable, str(module)], capture_output=True, text=True, check=True)
    assert done.stdout.split()[2] == str(pane.model.analysis.params)


def test_the_input_and_head_editor_reshape_the_network(pane, qtbot) -> None:
    pane.start_from(builder.TEMPLATES["MLP"], "MLP")
    size = pane.input_editor.sizes["size"]
    size.selectAll()
    qtbot.keyClicks(size, "10")
    qtbot.keyClick(size, Qt.Key.Key_Return)
    assert pane.definition["input"] == {"kind": "vector", "size": 10}
    assert _rows(pane)[0][2] == f"{10 * 64 + 64:,}"
    pane.input_editor.kind.setCurrentText("image")
    assert "Linear takes features" in pane.problem.text()  # an image needs a Flatten first
    pane.apply_fix()
    assert pane.model.layer("layers[0]")["type"] == "Flatten" and not pane.problem.text()


def test_saved_by_name_with_versions_and_reopened_after_a_restart(pane, core, qtbot) -> None:
    from tests.conftest import run_main
    from views.builder.pane import BuilderPane

    pane.start_from(builder.TEMPLATES["ResNet-style"], "ResNet-style")
    assert pane.storage.saved_as.text() == "Not saved yet (Ctrl+S)"
    pane.storage.save_named("resnet")
    qtbot.waitUntil(lambda: pane.storage.saved_as.text() == "resnet · version 1", timeout=10_000)
    pane.select("layers[0]")
    pane.remove_action.trigger()
    assert "changed since" in pane.storage.saved_as.text()
    pane.save_version_action.trigger()  # the name is known: no question
    qtbot.waitUntil(lambda: pane.storage.saved_as.text() == "resnet · version 2", timeout=10_000)
    assert core.networks.versions("resnet") == [1, 2]
    assert core.networks.load("resnet", 1).definition == builder.TEMPLATES["ResNet-style"]
    second = core.networks.load("resnet").definition

    again = BuilderPane(core)  # as after a restart: the last network reopens
    qtbot.addWidget(again)
    qtbot.waitUntil(lambda: again.definition == second, timeout=10_000)
    assert again.storage.saved_as.text() == "resnet · version 2"
    again.storage.open_named("resnet", 1)
    qtbot.waitUntil(lambda: again.definition == builder.TEMPLATES["ResNet-style"], timeout=10_000)

    listed = run_main("builder", "list")
    assert "resnet  (version 2)" in listed.stdout, listed.stderr
    shown = run_main("builder", "show", "resnet", "--version", "1")
    assert json.loads(shown.stdout) == builder.TEMPLATES["ResNet-style"]


def test_a_layer_dragged_into_and_out_of_a_residual_block(pane) -> None:
    """Drag and drop through the model's own drop API (what QTreeView calls on a drop)."""
    from PySide6.QtCore import Qt as _Qt

    pane.start_from(builder.TEMPLATES["ResNet-style"], "ResNet-style")
    model = pane.model
    relu = model.index_of("layers[2]")  # the ReLU before the first block
    block = model.index_of("layers[3]")
    assert model.flags(block) & _Qt.ItemFlag.ItemIsDropEnabled
    model.dropMimeData(model.mimeData([relu]), _Qt.DropAction.MoveAction, -1, 0, block)
    inner = pane.definition["layers"][2]["layers"]  # the block moved up, the ReLU at its end
    assert pane.definition["layers"][2]["type"] == "Residual" and inner[-1] == {"type": "ReLU"}
    assert pane.selected_path() == "layers[2].layers[5]" and not model.analysis.errors
    # Out again, to the very top.
    moved = model.index_of("layers[2].layers[5]")
    model.dropMimeData(model.mimeData([moved]), _Qt.DropAction.MoveAction, 0, 0, model.index_of(""))
    assert pane.definition["layers"][0] == {"type": "ReLU"}
    # A block cannot be dropped into itself.
    block = model.index_of("layers[3]")
    data = model.mimeData([block])
    assert not model.canDropMimeData(data, _Qt.DropAction.MoveAction, 0, 0, block)
    pane.undo_action.trigger()
    pane.undo_action.trigger()
    assert pane.definition == builder.TEMPLATES["ResNet-style"]
