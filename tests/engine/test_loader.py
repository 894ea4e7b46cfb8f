"""DataLoader workers collate what the loop would have collated inline, in its order,
with the same augmentation; resume stays exact with workers (issue: a data path that
scales). Real forked workers, real engine subprocesses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.engine.helpers import (
    CNN,
    image_folder,
    losses,
    make_spec,
    run_engine,
    set_up_inline,
    sft_rows,
    spec_file,
    write_jsonl,
)

# Forks workers and starts engines: left out of the quick tier.
pytestmark = pytest.mark.slow


def _image_spec(tmp_path: Path, **hyper) -> dict:
    folder = image_folder(tmp_path / "images", per_class=10)
    spec = make_spec(tmp_path, "custom_architecture", folder, model="unused", **hyper)
    spec["model"] = {"source": "architecture", "definition": CNN}
    spec["dataset"]["augment"] = True  # random crops and flips: the part that must match
    return spec


def test_workers_give_the_inline_batches_across_epochs_and_a_size_change(tmp_path) -> None:
    from engine.loader import BatchLoader
    from engine.sampler import DataStream

    trainer = set_up_inline(tmp_path / "inline", _image_spec(tmp_path))
    recipe, size = trainer.recipe, len(trainer.recipe.train_rows)
    inline = BatchLoader(recipe, DataStream(size, 7), workers=0, pin=False)
    forked = BatchLoader(recipe, DataStream(size, 7), workers=2, pin=False)
    try:
        sizes = [4] * 8 + [2] * 5 + [4] * 3  # past an epoch's end, then halved, then back
        for count in sizes:
            expected, got = inline.take(count), forked.take(count)
            assert got.samples == expected.samples
            for name, tensor in expected.tensors.items():
                assert got.tensors[name].equal(tensor), (count, name)
        assert inline.stream.state() == forked.stream.state()
        assert forked.stream.epoch >= 1
    finally:
        forked.close()


def _same_batches(recipe, start: str, sizes: list[int]) -> None:
    from engine.loader import BatchLoader
    from engine.sampler import DataStream

    size = len(recipe.train_rows)
    inline = BatchLoader(recipe, DataStream(size, 7), workers=0, pin=False)
    workers = BatchLoader(recipe, DataStream(size, 7), workers=1, pin=False, start=start)
    try:
        for count in sizes:
            expected, got = inline.take(count), workers.take(count)
            assert (got.samples, got.tokens, got.loss_terms) == (
                expected.samples, expected.tokens, expected.loss_terms,
            )  # fmt: skip
            for name, tensor in expected.tensors.items():
                assert got.tensors[name].equal(tensor), (count, name)
    finally:
        workers.close()


def test_spawned_workers_give_the_inline_batches(tmp_path) -> None:
    """Windows and macOS spawn workers: each gets a pickled recipe without its model.
    Images (augmented), and text whose setup-time tokens are tensors (sent as numpy)."""
    trainer = set_up_inline(tmp_path / "images", _image_spec(tmp_path))
    _same_batches(trainer.recipe, "spawn", [4] * 6 + [2] * 3)
    data = write_jsonl(tmp_path / "sft.jsonl", sft_rows(40))
    spec = make_spec(tmp_path, "causal_lm_sft", data, model="tiny-gpt2")
    trainer = set_up_inline(tmp_path / "text", spec)
    assert trainer.recipe.train_rows.make.encoded  # tokenised during setup
    _same_batches(trainer.recipe, "spawn", [8] * 5 + [3] * 2)


def test_an_engine_with_spawned_workers_trains_as_one_without(tmp_path) -> None:
    from engine.loader import START_ENV

    spec = _image_spec(tmp_path, max_steps=6, batch_size=4, data_workers=1)
    code, events, stderr = run_engine(spec_file(tmp_path, spec), env={START_ENV: "spawn"})
    assert code == 0, stderr
    inline = {**json.loads(json.dumps(spec)), "job_id": "inline"}
    inline["output_dir"] = str(tmp_path / "inline" / "output")
    inline["hyperparameters"]["data_workers"] = 0
    code, reference, stderr = run_engine(spec_file(tmp_path, inline))
    assert code == 0, stderr
    assert losses(events) == losses(reference)


def test_resume_with_workers_is_exact(tmp_path) -> None:
    spec = _image_spec(tmp_path, max_steps=8, checkpoint_every=4, batch_size=4, data_workers=1)
    code, events, stderr = run_engine(spec_file(tmp_path, spec))
    assert code == 0, stderr
    reference = losses(events)
    again = {
        **json.loads(json.dumps(spec)),
        "job_id": "again",
        "output_dir": str(tmp_path / "again" / "output"),
        "resume_from": str(tmp_path / "run" / "checkpoints" / "checkpoint-4"),
    }
    code, events, stderr = run_engine(spec_file(tmp_path, again))
    assert code == 0, stderr
    assert losses(events) == {step: reference[step] for step in range(5, 9)}

    inline = {
        **json.loads(json.dumps(spec)),
        "job_id": "inline",
        "output_dir": str(tmp_path / "inline" / "output"),
    }
    inline["hyperparameters"]["data_workers"] = 0
    code, events, stderr = run_engine(spec_file(tmp_path, inline))
    assert code == 0, stderr
    assert losses(events) == reference  # workers change where batches are made, not what


def test_a_killed_engine_frees_its_run_folder_with_its_workers(tmp_path) -> None:
    """Workers hold a forked copy of the run lock; after a kill -9 of the engine alone
    the folder must be free for a resume at once, and no worker is left running."""
    import fcntl
    import os
    import signal

    from engine.protocol import PAUSE_AT_ENV
    from engine.run_dirs import ENGINE_LOCK
    from tests.engine.helpers import read_events, start_engine, wait_for

    spec = _image_spec(tmp_path, max_steps=20, batch_size=4, data_workers=2)
    process = start_engine(spec_file(tmp_path, spec), env={PAUSE_AT_ENV: "2"})
    run_dir = tmp_path / "run"
    try:
        wait_for(lambda: any(e["event"] == "paused" for e in read_events(run_dir)))
        children = [int(p) for p in Path(f"/proc/{process.pid}/task/{process.pid}/children")
                    .read_text().split()]  # fmt: skip
        assert len(children) == 2  # the workers are running
        os.kill(process.pid, signal.SIGKILL)
        process.communicate(timeout=30)
        with (run_dir / ENGINE_LOCK).open("a+b") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)  # free already
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    wait_for(lambda: not any(_alive(pid) for pid in children), timeout=60)


def _alive(pid: int) -> bool:
    """Running or sleeping; a zombie waiting for its reaper is gone for this purpose."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
