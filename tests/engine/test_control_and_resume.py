"""Control commands, graceful stop, and exact resume after stop or kill -9."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest

from engine.protocol import EXIT_STOPPED, PAUSE_AT_ENV
from tests.engine.helpers import (
    classification_rows,
    losses,
    make_spec,
    read_events,
    run_engine,
    send,
    sft_rows,
    spec_file,
    start_engine,
    wait_for,
    write_jsonl,
)

# Starts engines, windows or other processes: left out of the quick tier.
pytestmark = pytest.mark.slow

STEPS = 24


def _spec(tmp: Path, name: str, **hyper) -> tuple[dict, Path]:
    data = tmp / "data.jsonl"
    if not data.exists():
        write_jsonl(data, sft_rows(48))
    spec = make_spec(
        tmp,
        "causal_lm_sft",
        data,
        model="tiny-gpt2",
        name=name,
        max_steps=STEPS,
        batch_size=4,
        gradient_accumulation=2,
        **hyper,
    )
    return spec, spec_file(tmp, spec)


def _last_step(run_dir: Path) -> int:
    steps = [e["step"] for e in read_events(run_dir) if e["event"] == "metric"]
    return steps[-1] if steps else 0


def _paused(run_dir: Path) -> int:
    return sum(1 for e in read_events(run_dir) if e["event"] == "paused")


def _reference(tmp: Path) -> dict[int, float]:
    _, path = _spec(tmp, "reference")
    code, events, stderr = run_engine(path)
    assert code == 0, stderr
    curve = losses(events)
    assert sorted(curve) == list(range(1, STEPS + 1))
    return curve


def test_stop_then_resume_continues_with_identical_losses(tmp_path: Path) -> None:
    reference = _reference(tmp_path)
    spec, path = _spec(tmp_path, "stopped")
    run_dir = Path(spec["output_dir"]).parent
    # The engine holds itself at step 8 (a test hook): the stop lands there on any machine.
    process = start_engine(path, env={PAUSE_AT_ENV: "8"})
    wait_for(lambda: _paused(run_dir) == 1)
    send(run_dir, "stop")
    process.communicate(timeout=120)
    assert process.returncode == EXIT_STOPPED
    stopped = [e for e in read_events(run_dir) if e["event"] == "stopped"]
    assert len(stopped) == 1 and Path(stopped[0]["checkpoint"]).is_dir()
    stop_step = stopped[0]["step"]
    assert stop_step == 8

    spec["resume_from"] = "latest"
    path.write_text(json.dumps(spec))
    code, events, stderr = run_engine(path)
    assert code == 0, stderr
    started = next(e for e in events if e["event"] == "started")
    assert started["resumed_from_step"] == stop_step
    resumed = losses(events)
    assert sorted(resumed) == list(range(stop_step + 1, STEPS + 1))
    assert resumed == {step: reference[step] for step in resumed}  # exact, not approximate


def test_kill_9_anywhere_then_resume_gives_the_uninterrupted_losses(tmp_path: Path) -> None:
    """Kills between steps and in the middle of checkpoint writes; resume never sees a
    torn checkpoint and the final curve equals the uninterrupted run's, step for step."""
    reference = _reference(tmp_path)
    spec, path = _spec(tmp_path, "killed", checkpoint_every=2, keep_checkpoints=2)
    run_dir = Path(spec["output_dir"]).parent
    checkpoints = run_dir / "checkpoints"
    spec["resume_from"] = "latest"
    path.write_text(json.dumps(spec))

    def tmp_checkpoint_exists() -> bool:
        return checkpoints.is_dir() and any(
            p.name.startswith(".tmp-") for p in checkpoints.iterdir()
        )

    kills = 0
    # Inside a checkpoint write (the hook holds the save half-way), then between steps.
    for kill_point in ("in_checkpoint", "after_step", "in_checkpoint", "after_step"):
        env = (
            {"SPARKTRAINER_ENGINE_TEST_CHECKPOINT_PAUSE": "5"}
            if kill_point == "in_checkpoint"
            else {}
        )
        before = _last_step(run_dir)
        if kill_point == "after_step":  # held there by the test hook: no race to win
            env = {PAUSE_AT_ENV: str(before + 3)}
        paused = _paused(run_dir)
        process = start_engine(path, env=env)
        if kill_point == "in_checkpoint":
            wait_for(tmp_checkpoint_exists)
        else:
            wait_for(lambda p=paused: _paused(run_dir) > p)
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=60)
        assert process.returncode == -signal.SIGKILL
        kills += 1

    code, _events, stderr = run_engine(path)
    assert code == 0, stderr
    assert kills == 4
    final = losses(read_events(run_dir))  # every run's events; the latest value per step
    assert sorted(final) == list(range(1, STEPS + 1))
    assert final == reference
    assert not tmp_checkpoint_exists()


def test_pause_and_resume_through_control_file(tmp_path: Path) -> None:
    spec, path = _spec(tmp_path, "paused")
    run_dir = Path(spec["output_dir"]).parent
    process = start_engine(path)
    wait_for(lambda: _last_step(run_dir) >= 2)
    send(run_dir, "pause")
    wait_for(lambda: any(e["event"] == "paused" for e in read_events(run_dir)))
    paused_at = next(e["step"] for e in read_events(run_dir) if e["event"] == "paused")
    # A command answered while paused shows the engine is alive and waiting; its step
    # shows that no training step happened meanwhile (a condition, not a sleep).
    send(run_dir, "checkpoint")
    wait_for(lambda: any(e["event"] == "checkpoint" for e in read_events(run_dir)))
    checkpoint = next(e for e in read_events(run_dir) if e["event"] == "checkpoint")
    assert checkpoint["step"] == paused_at
    send(run_dir, "resume")
    process.communicate(timeout=120)
    assert process.returncode == 0
    events = read_events(run_dir)
    names = [e["event"] for e in events]
    assert names.index("paused") < names.index("checkpoint") < names.index("resumed")
    assert names[-1] == "completed"
    between = events[names.index("paused") : names.index("resumed")]
    assert not [e for e in between if e["event"] == "metric"]  # no step while paused


def test_sigterm_stops_with_a_checkpoint(tmp_path: Path) -> None:
    spec, path = _spec(tmp_path, "stdin")
    run_dir = Path(spec["output_dir"]).parent
    process = start_engine(path, env={PAUSE_AT_ENV: "2"})
    wait_for(lambda: _paused(run_dir) == 1)
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=120)
    assert process.returncode == EXIT_STOPPED
    assert read_events(run_dir)[-1]["event"] == "stopped"


def test_stdin_commands_pause_the_engine(tmp_path: Path) -> None:
    import os
    import subprocess

    from engine.protocol import command_line
    from tests.engine.helpers import engine_command

    spec, path = _spec(tmp_path, "stdin-pause")
    run_dir = Path(spec["output_dir"]).parent
    process = subprocess.Popen(
        engine_command(path, "--control", "stdin"),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    wait_for(lambda: _last_step(run_dir) >= 1)
    process.stdin.write(command_line("stop"))
    process.stdin.flush()
    process.communicate(timeout=120)
    assert process.returncode == EXIT_STOPPED


def test_data_position_survives_classification_resume(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "cls.jsonl", classification_rows(40))
    spec = make_spec(
        tmp_path,
        "text_classification",
        data,
        model="tiny-bert",
        name="cls",
        max_steps=12,
        checkpoint_every=5,
    )
    code, events, stderr = run_engine(spec_file(tmp_path, spec))
    assert code == 0, stderr
    reference = losses(events)
    spec["job_id"] = "cls-resumed"
    spec["output_dir"] = str(tmp_path / "cls-resumed" / "output")
    spec["resume_from"] = str(tmp_path / "cls" / "checkpoints" / "checkpoint-10")
    code, events, stderr = run_engine(spec_file(tmp_path, spec))
    assert code == 0, stderr
    assert losses(events) == {s: reference[s] for s in (11, 12)}


def test_a_damaged_newest_checkpoint_falls_back_to_the_intact_older_one(tmp_path: Path) -> None:
    """Issue #17, item 5: flipped bytes, a progress file of another step, garbage in it or
    a lost weights file: never loaded; the newest intact checkpoint is, with a log event
    saying which and why, and the losses after it are the uninterrupted run's."""
    spec, path = _spec(tmp_path, "damaged", checkpoint_every=8, keep_checkpoints=3)
    run_dir = Path(spec["output_dir"]).parent
    code, events, stderr = run_engine(path)
    assert code == 0, stderr
    reference = losses(events)
    newest = run_dir / "checkpoints" / f"checkpoint-{STEPS}"
    assert (newest / "manifest.json").is_file()
    spec["resume_from"] = "latest"
    spec["overwrite_output"] = True
    path.write_text(json.dumps(spec))

    def flip(folder: Path) -> None:
        weights = folder / "model.safetensors"
        data = bytearray(weights.read_bytes())
        data[len(data) // 2] ^= 0xFF
        weights.write_bytes(bytes(data))

    def other_step(folder: Path) -> None:
        progress = json.loads((folder / "progress.json").read_text())
        (folder / "progress.json").write_text(json.dumps({**progress, "step": 16}))

    damages = {
        "model.safetensors does not match its checksum": flip,
        "progress.json does not match its checksum": other_step,
        "model.safetensors is missing": lambda folder: (folder / "model.safetensors").unlink(),
    }
    for reason, damage in damages.items():
        damage(newest)
        code, events, stderr = run_engine(path)
        assert code == 0, stderr
        warnings = [e["message"] for e in events if e["event"] == "log"]
        assert f"checkpoint-{STEPS} is damaged ({reason}): resuming from checkpoint-16 " in (
            " ".join(warnings)
        ), warnings
        (started,) = [e for e in events if e["event"] == "started"]
        assert started["resumed_from_step"] == 16
        resumed = losses(events)
        assert resumed == {step: reference[step] for step in range(17, STEPS + 1)}

    # Without a manifest to check against, a progress file of garbage or of another
    # step is still caught by what it says.
    (newest / "manifest.json").unlink()
    (newest / "progress.json").write_text("{not json")
    code, events, stderr = run_engine(path)
    assert code == 0, stderr
    assert "progress.json is not valid progress JSON" in " ".join(
        e.get("message", "") for e in events
    )
    explicit = dict(spec, resume_from=str(newest.parent / "checkpoint-8"))
    (newest.parent / "checkpoint-8" / "progress.json").write_text('{"step": 3}')
    path.write_text(json.dumps(explicit))
    code, events, stderr = run_engine(path)
    assert code != 0
    assert "checkpoint-8: progress.json does not match its checksum" in stderr + json.dumps(events)


def test_a_second_engine_on_a_held_run_folder_refuses_to_start(tmp_path: Path) -> None:
    """Issue #17, item 1: an exclusive lock in the run folder, held by the live engine and
    released by the OS when it dies (kill -9 included)."""
    from engine.protocol import EXIT_INVALID_SPEC
    from engine.run_dirs import run_lock_held

    spec, path = _spec(tmp_path, "held")
    run_dir = Path(spec["output_dir"]).parent
    first = start_engine(path, env={PAUSE_AT_ENV: "2"})
    try:
        wait_for(lambda: _paused(run_dir) == 1)
        assert run_lock_held(run_dir)
        spec["resume_from"] = "latest"
        path.write_text(json.dumps(spec))
        code, events, stderr = run_engine(path)
        assert code == EXIT_INVALID_SPEC
        assert f"another engine (pid {first.pid}) is running in {run_dir}" in events[-1]["error"]
        assert _paused(run_dir) == 1 and first.poll() is None  # the first one was left alone
    finally:
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=60)
    assert not run_lock_held(run_dir)
    code, events, stderr = run_engine(path)  # the folder is free again once it is gone
    assert code == 0, stderr


def test_the_first_loss_logged_after_a_resume_is_the_uninterrupted_runs(tmp_path: Path) -> None:
    """Issue #17, item 7: with log_every 3 the stop at step 8 falls inside a logging
    window; the checkpoint carries the window, so step 9 logs the mean of steps 7–9."""
    _, reference_path = _spec(tmp_path, "reference-windows", log_every=3)
    code, events, stderr = run_engine(reference_path)
    assert code == 0, stderr
    reference = losses(events)
    assert sorted(reference) == list(range(3, STEPS + 1, 3))
    spec, path = _spec(tmp_path, "windows", log_every=3)
    run_dir = Path(spec["output_dir"]).parent
    process = start_engine(path, env={PAUSE_AT_ENV: "8"})
    wait_for(lambda: _paused(run_dir) == 1)
    send(run_dir, "stop")
    process.communicate(timeout=120)
    assert process.returncode == EXIT_STOPPED
    spec["resume_from"] = "latest"
    path.write_text(json.dumps(spec))
    code, events, stderr = run_engine(path)
    assert code == 0, stderr
    resumed = losses(events)
    assert min(resumed) == 9
    assert resumed == {step: reference[step] for step in resumed}
