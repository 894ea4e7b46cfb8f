"""The Builder's edits: each gives a new definition and leaves the old one for undo."""

from __future__ import annotations

import copy

from app.builder import editing

NETWORK = {
    "version": 2,
    "input": {"kind": "vector", "size": 4},
    "layers": [
        {"type": "Linear", "out_features": 8},
        {"type": "Residual", "layers": [{"type": "Linear", "out_features": 8}, {"type": "ReLU"}]},
    ],
    "head": {"num_classes": 2},
}


def _types(layers: list[dict]) -> list[str]:
    return [layer["type"] for layer in layers]


def test_add_goes_after_the_selected_layer_with_its_required_arguments() -> None:
    before = copy.deepcopy(NETWORK)
    after, select = editing.add_layer(NETWORK, "layers[1].layers[0]", "Conv2d")
    assert before == NETWORK  # untouched: the undo stack holds it
    assert select == "layers[1].layers[1]"
    assert after["layers"][1]["layers"][1] == {
        "type": "Conv2d", "out_channels": 16, "kernel_size": 3, "padding": 1,
    }  # fmt: skip
    appended, select = editing.add_layer(NETWORK, "", "GELU")
    assert (_types(appended["layers"]), select) == (["Linear", "Residual", "GELU"], "layers[2]")


def test_remove_selects_the_layer_before_and_an_empty_block_nothing() -> None:
    after, select = editing.remove_layer(NETWORK, "layers[1].layers[1]")
    assert (_types(after["layers"][1]["layers"]), select) == (["Linear"], "layers[1].layers[0]")
    single = {**NETWORK, "layers": [{"type": "ReLU"}]}
    assert editing.remove_layer(single, "layers[0]") == ({**single, "layers": []}, "")


def test_move_swaps_within_its_own_list_and_stops_at_the_ends() -> None:
    after, select = editing.move_layer(NETWORK, "layers[1].layers[1]", -1)
    assert (_types(after["layers"][1]["layers"]), select) == (
        ["ReLU", "Linear"], "layers[1].layers[0]",
    )  # fmt: skip
    assert editing.move_layer(NETWORK, "layers[1].layers[1]", 1) is None
    assert editing.move_layer(NETWORK, "layers[0]", -1) is None


def test_wrap_replace_and_input_and_no_step_for_an_edit_that_changes_nothing() -> None:
    wrapped, select = editing.wrap_in_residual(NETWORK, "layers[0]")
    assert wrapped["layers"][0] == {"type": "Residual", "layers": [NETWORK["layers"][0]]}
    assert select == "layers[0]"
    layer = {"type": "Linear", "out_features": 16}
    assert editing.replace_layer(NETWORK, "layers[0]", layer)["layers"][0] == layer
    assert editing.replace_layer(NETWORK, "layers[0]", NETWORK["layers"][0]) is None
    assert editing.set_input(NETWORK, NETWORK["input"], 2) is None
    changed = editing.set_input(NETWORK, {"kind": "vector", "size": 6}, 3)
    assert changed["input"]["size"] == 6 and changed["head"] == {"num_classes": 3}
