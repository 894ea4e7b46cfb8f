"""The Hardware pane with no GPU (this machine) and with two simulated GPUs."""

from __future__ import annotations

import subprocess
import sys

import pytest
from PySide6.QtWidgets import QMessageBox

from app.hardware.monitor import HardwareMonitor
from app.hardware.nvml import NvmlSession
from tests.hardware.fake_nvml import GIB, two_gpus


@pytest.fixture
def hardware_pane(core, qtbot):
    from views.hardware import HardwarePane

    def make(fake=None):
        nvml = NvmlSession(lambda: fake) if fake is not None else NvmlSession()
        core.use_hardware_monitor(
            HardwareMonitor(core.paths.root, core, nvml=nvml, interval_ms=100)
        )
        pane = HardwarePane(core)
        qtbot.addWidget(pane)
        pane.resize(1100, 900)
        pane.show()
        qtbot.waitUntil(lambda: len(core.hardware.history) >= 2, timeout=10_000)
        return pane

    yield make
    core.hardware.stop()


def test_without_a_gpu_the_pane_says_why(hardware_pane, qtbot) -> None:
    pane = hardware_pane()
    assert pane.no_gpu.isVisible()
    assert "No NVIDIA GPU detected" in pane.no_gpu.text()
    assert pane._cards == {}
    assert (
        "of 2 cores" in pane.system_values["cpu"].text()
        or "cores" in pane.system_values["cpu"].text()
    )
    qtbot.waitUntil(lambda: pane.storage.rowCount() == 5)


def test_two_simulated_gpus_get_a_card_each(hardware_pane, qtbot, tmp_path) -> None:
    fake = two_gpus()
    pane = hardware_pane(fake)
    qtbot.waitUntil(lambda: len(pane._cards) == 2)
    assert not pane.no_gpu.isVisible()
    first = pane._cards[0]
    assert "RTX 6000" in first.title.text()
    assert first.values["memory"].text() == "30.0 GiB / 48.0 GiB"
    assert first.values["temperature"].text() == "71 °C"
    assert "fan —" in first.details.text()  # the one field that failed on this GPU
    assert "fan 45%" in pane._cards[1].details.text()
    assert "driver 555.42.06" in pane.gpu_box.title()
    assert pane.processes.rowCount() == 1
    pane.grab().save(str(tmp_path / "hardware-two-gpus.png"))


def test_stop_job_acts_only_on_our_engines(hardware_pane, qtbot, core, monkeypatch) -> None:
    run = core.paths.runs / "job-9"  # an engine of this data directory
    run.mkdir(parents=True)
    spec = run / "spec.json"
    spec.write_text('{"job_id": "job-9"}')
    # A process whose command line is an engine's; the stand-in NVML puts it on GPU 0.
    engine = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(120)", "engine", "run", str(spec)]
    )
    (run / ".engine.lock").write_text(str(engine.pid))  # as the engine records itself
    try:
        fake = two_gpus()
        fake.gpus[0].processes.append((engine.pid, 2 * GIB))
        pane = hardware_pane(fake)
        qtbot.waitUntil(lambda: pane.processes.rowCount() == 2, timeout=10_000)
        rows = {pane.processes.index(r, 1).data(): r for r in range(2)}
        assert pane.processes.index(rows[str(engine.pid)], 3).data() == "job-9"
        assert pane.processes.index(rows["4242"], 3).data() == "not SparkTrainer"

        pane.process_view.selectRow(rows["4242"])
        assert not pane.stop_button.isEnabled()
        pane.process_view.selectRow(rows[str(engine.pid)])
        assert pane.stop_button.isEnabled()
        monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
        pane.stop_button.click()
        assert engine.wait(timeout=10) == -15  # SIGTERM: the engine's graceful stop
    finally:
        if engine.poll() is None:
            engine.kill()


def test_cleanup_asks_then_deletes(hardware_pane, qtbot, core, monkeypatch) -> None:
    for step in (1, 2, 3):
        folder = core.paths.runs / "job-1" / "checkpoints" / f"checkpoint-{step}"
        folder.mkdir(parents=True)
        (folder / "model.safetensors").write_bytes(b"w" * 100)
        (folder / "progress.json").touch()  # what makes a checkpoint complete (0 bytes)
    pane = hardware_pane()
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Cancel)
    pane._on_cleanup_clicked()
    qtbot.waitUntil(pane.cleanup_button.isEnabled)
    assert len(list((core.paths.runs / "job-1" / "checkpoints").iterdir())) == 3

    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    with qtbot.waitSignal(core.notifications.notified, timeout=10_000) as note:
        pane._on_cleanup_clicked()
    assert note.args[0].title == "Checkpoints cleaned up"
    assert [p.name for p in (core.paths.runs / "job-1" / "checkpoints").iterdir()] == [
        "checkpoint-3"
    ]


def test_models_are_correct_qt_models(qtmodeltester) -> None:
    from views.hardware.models import GpuProcessModel, StorageModel

    model = GpuProcessModel()
    model.set_status(NvmlSession(lambda f=None: two_gpus()).read())
    qtmodeltester.check(model)
    qtmodeltester.check(StorageModel())
