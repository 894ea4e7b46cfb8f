"""NVML readings (a stand-in for two GPUs, and this machine's missing driver), the
sampler thread, the bounded history, the inventory, alerts and checkpoint cleanup."""

from __future__ import annotations

import json
import os
from pathlib import Path

from PySide6.QtCore import QThread

from app.hardware.alerts import ThresholdAlerts
from app.hardware.history import History
from app.hardware.monitor import HardwareMonitor
from app.hardware.nvml import NvmlSession
from app.hardware.readings import GpuStatus, Snapshot, SystemReading
from app.hardware.storage import apply_cleanup, plan_checkpoint_cleanup, storage_usage
from app.hardware.system import engine_job_id
from app.settings import TEMPERATURE_ALERT
from tests.hardware.fake_nvml import (
    GIB,
    NVML_ERROR_DRIVER_NOT_LOADED,
    NVML_ERROR_LIB_RM_VERSION_MISMATCH,
    FakeNvml,
    two_gpus,
)


def test_this_machine_has_no_nvidia_driver_and_says_why() -> None:
    status = NvmlSession().read()  # the real pynvml, on a machine without the driver
    assert status.gpus == ()
    assert status.unavailable_reason.startswith("No NVIDIA GPU detected:")
    assert "libnvidia-ml" in status.unavailable_reason


def test_each_nvml_start_failure_has_its_own_message() -> None:
    for code, words in (
        (NVML_ERROR_DRIVER_NOT_LOADED, "kernel driver is not loaded"),
        (NVML_ERROR_LIB_RM_VERSION_MISMATCH, "reboot"),
    ):
        fake = FakeNvml([], init_error=code)
        status = NvmlSession(lambda f=fake: f).read()
        assert words in status.unavailable_reason


def test_two_gpus_are_read_and_a_failing_field_degrades_alone() -> None:
    fake = two_gpus()
    session = NvmlSession(lambda: fake)
    status = session.read({4242: "job-7"}.get)
    assert (status.driver_version, status.cuda_version) == ("555.42.06", "12.5")
    first, second = status.gpus
    assert first.name.startswith("NVIDIA RTX 6000")
    assert first.memory_total == 48 * GIB and first.memory_free == 18 * GIB
    assert (first.utilization, first.temperature, first.power_draw) == (97, 71, 280.0)
    assert first.fan is None  # NOT_SUPPORTED on this GPU only
    assert second.fan == 45
    assert (first.pcie_generation, first.pcie_width, first.mig_enabled) == (4, 16, False)
    assert first.processes[0].job_id == "job-7"
    session.read()
    assert fake.init_calls == 1  # initialised once per process, not per sample


def test_monitor_samples_off_the_gui_thread_and_feeds_the_inventory(qtbot, tmp_path) -> None:
    fake = two_gpus()
    monitor = HardwareMonitor(tmp_path, nvml=NvmlSession(lambda: fake), interval_ms=50)
    try:
        with qtbot.waitSignals([monitor.sampled] * 3, timeout=10_000):
            monitor.start()
        assert monitor.worker_thread is not None
        assert monitor.worker_thread is not QThread.currentThread()
        inventory = monitor.inventory
        assert inventory.count() == 2
        assert inventory.free_memory(1) == 23 * GIB
        assert inventory.free_memory(5) is None
        assert inventory.jobs_on(0) == []  # pid 4242 is not one of our engines
        assert len(monitor.history) >= 3
        assert monitor.latest.system.memory_total > 0
    finally:
        monitor.stop()


def test_monitor_without_a_gpu_reports_a_cpu_only_inventory(qtbot, tmp_path) -> None:
    monitor = HardwareMonitor(tmp_path, interval_ms=50)
    try:
        with qtbot.waitSignal(monitor.sampled, timeout=10_000):
            monitor.start()
        assert monitor.inventory.count() == 0
        assert "No NVIDIA GPU detected" in monitor.inventory.unavailable_reason
    finally:
        monitor.stop()


def _snapshot(time: float, gpu: GpuStatus | None = None, **system) -> Snapshot:
    values = dict(
        cpu_percent=10.0,
        per_core=(10.0,),
        load_average=None,
        memory_used=1,
        memory_total=4,
        swap_used=0,
        swap_total=0,
        disk_used=1,
        disk_total=10,
        disk_read_rate=0.0,
        disk_write_rate=0.0,
        net_sent_rate=0.0,
        net_received_rate=0.0,
    )
    values.update(system)
    return Snapshot(time, gpu or GpuStatus(), SystemReading(**values))


def test_history_holds_at_most_its_capacity() -> None:
    history = History(capacity=100)
    fake = two_gpus()
    gpus = NvmlSession(lambda: fake).read()
    for second in range(1000):
        history.append(_snapshot(float(second), gpus))
    assert len(history) == 100
    times, values = history.series("gpu_utilization", gpu=0)
    assert times[0] == 900.0 and values[-1] == 97.0


def test_alerts_fire_once_until_the_condition_clears(core, qtbot) -> None:
    alerts = ThresholdAlerts(core.settings, core.notifications)
    core.settings.set(TEMPERATURE_ALERT, 70)
    seen: list = []
    core.notifications.notified.connect(seen.append)
    fake = two_gpus()
    session = NvmlSession(lambda: fake)
    for _ in range(3):
        alerts.check(_snapshot(0.0, session.read()))
    titles = [n.title for n in seen]
    assert titles == ["GPU 0 is at 71 °C"]
    fake.gpus[0].temperature = 60  # cools down well below the threshold: re-armed
    alerts.check(_snapshot(1.0, session.read()))
    fake.gpus[0].temperature = 75
    alerts.check(_snapshot(2.0, session.read(), memory_used=99, memory_total=100))
    assert [n.title for n in seen][1:] == ["GPU 0 is at 75 °C", "System memory is 99% full"]


def _checkpoint(run: Path, step: int, size: int = 1000) -> Path:
    folder = run / "checkpoints" / f"checkpoint-{step}"
    folder.mkdir(parents=True)
    (folder / "model.safetensors").write_bytes(b"x" * size)
    (folder / "progress.json").touch()  # what makes a checkpoint complete (0 bytes)
    return folder


def test_cleanup_keeps_each_runs_last_and_best_checkpoint(paths) -> None:
    run = paths.runs / "job-1"
    for step in (10, 20, 30, 40):
        _checkpoint(run, step)
    evals = {10: 2.0, 20: 1.1, 30: 1.4, 40: 1.6}
    (run / "events.jsonl").write_text(
        "".join(
            json.dumps({"event": "eval", "time": 0, "step": s, "values": {"eval_loss": v}}) + "\n"
            for s, v in evals.items()
        )
        + "not json\n"
    )
    other = paths.runs / "job-2"  # no evaluations: only the newest stays
    for step in (5, 10):
        _checkpoint(other, step)

    plan = plan_checkpoint_cleanup(paths.runs)
    names = sorted(f"{p.parent.parent.name}/{p.name}" for p in plan.remove)
    assert names == ["job-1/checkpoint-10", "job-1/checkpoint-30", "job-2/checkpoint-5"]
    assert plan.bytes_freed == 3000
    assert apply_cleanup(plan) == 3000
    left = sorted(p.name for p in (run / "checkpoints").iterdir())
    assert left == ["checkpoint-20", "checkpoint-40"]

    usage = {item.category: item.size for item in storage_usage(paths)}
    assert usage["Checkpoints"] == 3000


def test_engine_command_lines_map_to_their_job(tmp_path) -> None:
    run = tmp_path / "runs" / "job-42"
    run.mkdir(parents=True)
    (run / "spec.json").write_text(json.dumps({"job_id": "job-42"}))
    runs = tmp_path / "runs"
    assert engine_job_id(["python", "main.py", "engine", "run", str(run / "spec.json")], runs) == (
        "job-42"
    )
    assert engine_job_id(["python", "main.py", "--smoke-test"], runs) is None
    # Someone else's "engine" naming a FIFO or /dev/zero: nothing is opened, nothing listed.
    fifo = tmp_path / "trap" / "spec.json"
    fifo.parent.mkdir()
    os.mkfifo(fifo)
    assert engine_job_id(["python", "x", "engine", "run", str(fifo)], runs) is None
    assert engine_job_id(["python", "x", "engine", "run", "/dev/zero"], runs) is None


def test_only_our_engines_are_listed_and_each_once(tmp_path) -> None:
    """A launcher and the engine it forks share a command line: one engine. A spec outside
    this data directory's runs is someone else's (another data directory, another user)."""
    import subprocess
    import sys

    from app.hardware.system import EngineFinder

    runs = tmp_path / "runs"
    ours, theirs = runs / "job-7" / "spec.json", tmp_path / "elsewhere" / "spec.json"
    for spec, job in ((ours, "job-7"), (theirs, "job-8")):
        spec.parent.mkdir(parents=True)
        spec.write_text(json.dumps({"job_id": job}))
    sleeper = "import time; time.sleep(120)"
    launcher = (
        "import subprocess, sys, time; "
        f"child = subprocess.Popen([sys.executable, '-c', {sleeper!r}, *sys.argv[1:]]); "
        "print(child.pid, flush=True); time.sleep(120)"
    )
    started = [
        subprocess.Popen(
            [sys.executable, "-c", launcher, "engine", "run", str(ours)], stdout=subprocess.PIPE
        ),
        subprocess.Popen([sys.executable, "-c", sleeper, "engine", "run", str(theirs)]),
    ]
    child = int(started[0].stdout.readline())
    lock = runs / "job-7" / ".engine.lock"
    try:
        assert EngineFinder(runs).scan() == {}  # no lock names it: not an engine of ours
        lock.write_text(str(child))  # what the engine writes when it takes the folder
        assert EngineFinder(runs).scan() == {child: "job-7"}  # not its launcher too
        lock.unlink()
        os.mkfifo(lock)  # a FIFO in its place is never waited on
        assert EngineFinder(runs).scan() == {}
    finally:
        import signal

        os.kill(child, signal.SIGKILL)
        for process in started:
            process.kill()
            process.wait()
    run = runs / "job-7"
    (run / "output").mkdir()
    (run / "output" / "model.safetensors").write_bytes(b"w" * 1000)
    from app.paths import DataPaths

    usage = {item.category: item.size for item in storage_usage(DataPaths(tmp_path))}
    assert usage["Models"] == 1000  # a trained model lives in its run's output folder
