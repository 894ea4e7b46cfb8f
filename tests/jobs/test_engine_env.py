"""Engines start with a clean environment (issue #15, item 6)."""

from __future__ import annotations

from app.jobs.engine_env import engine_environment


def test_the_shell_secrets_never_reach_an_engine() -> None:
    shell = {
        "PATH": "/usr/bin",
        "HOME": "/home/me",
        "LC_ALL": "C.UTF-8",
        "CUDA_HOME": "/usr/local/cuda",
        "HF_HOME": "/data/hf",
        "HF_TOKEN": "hf_secret",
        "HUGGING_FACE_HUB_TOKEN": "hf_secret",
        "WANDB_API_KEY": "w",
        "SPARKTRAINER_SECRETS_PASSPHRASE": "pass",
        "AWS_SECRET_ACCESS_KEY": "a",
        "GITHUB_TOKEN": "g",
        "SSH_AUTH_SOCK": "/tmp/ssh",
        "DISPLAY": ":0",
        "SPARKTRAINER_ENGINE_TEST_PAUSE_AT_STEP": "3",
    }
    assert engine_environment(shell) == {
        "PATH": "/usr/bin",
        "HOME": "/home/me",
        "LC_ALL": "C.UTF-8",
        "CUDA_HOME": "/usr/local/cuda",
        "HF_HOME": "/data/hf",
        "SPARKTRAINER_ENGINE_TEST_PAUSE_AT_STEP": "3",
    }
