"""Which build of torch fits this machine, and what the runtime installs.

CUDA builds run on any driver that supports their CUDA version or newer; the newest
build the driver supports is the best one. Without an NVIDIA driver (or with one too old
for every build) the CPU build is chosen, and the reason is said.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass

TORCH_VERSION = "2.13.0"
"""The release the engine is tested with (README, .ci/run)."""
LIBRARIES = ("transformers>=4.46", "peft>=0.13", "safetensors>=0.4")
"""The engine's other libraries that the frozen app does not carry (pyproject ranges)."""
TORCH_INDEX = "https://download.pytorch.org/whl/{variant}"
CUDA_BUILDS = (("cu128", (12, 8)), ("cu126", (12, 6)))
"""Newest first: the CUDA builds published for TORCH_VERSION and the CUDA they need."""
DOWNLOAD_MB = {"cpu": 200, "cu126": 2600, "cu128": 2900, "default": 80}
"""About how much the install downloads (torch, its CUDA libraries and the rest)."""


@dataclass(frozen=True)
class Variant:
    name: str
    """cpu, cu126, cu128, or default (PyPI's own build: macOS)."""
    reason: str

    @property
    def requirements(self) -> list[str]:
        local = "" if self.name == "default" else f"+{self.name}"
        return [f"torch=={TORCH_VERSION}{local}", *LIBRARIES]

    @property
    def index_urls(self) -> list[str]:
        """Extra indexes beside the person's own pip configuration (PyPI by default)."""
        return [] if self.name == "default" else [TORCH_INDEX.format(variant=self.name)]

    @property
    def download_mb(self) -> int:
        return DOWNLOAD_MB[self.name]


def parse_cuda(version: str | None) -> tuple[int, int] | None:
    try:
        major, minor = (version or "").split(".")[:2]
        return int(major), int(minor)
    except ValueError:
        return None


def choose_variant(
    driver_cuda: str | None, driver: str | None = None, system: str | None = None
) -> Variant:
    """The build for a driver that supports CUDA `driver_cuda` ("12.8"; None: no driver)."""
    system = system or platform.system()
    if system == "Darwin":
        return Variant("default", "macOS: PyTorch's own build (Apple GPUs through MPS)")
    cuda = parse_cuda(driver_cuda)
    if cuda is None:
        return Variant("cpu", "No NVIDIA driver was found: the CPU build")
    for name, needs in CUDA_BUILDS:
        if cuda >= needs:
            return Variant(name, f"NVIDIA driver {driver or ''} supports CUDA {driver_cuda}")
    oldest = CUDA_BUILDS[-1][1]
    return Variant(
        "cpu",
        f"NVIDIA driver {driver or ''} supports only CUDA {driver_cuda}; GPU builds need "
        f"{oldest[0]}.{oldest[1]} or newer: update the driver, then reinstall PyTorch. "
        "Until then, the CPU build",
    )


def detect_variant() -> Variant:
    """The variant for this machine's driver, read through NVML (never through torch)."""
    from app.hardware.nvml import NvmlSession

    session = NvmlSession()
    try:
        if not session.open():
            return choose_variant(None)
        return choose_variant(session.cuda_version, session.driver_version)
    finally:
        session.close()


def named_variant(name: str) -> Variant:
    known = {"cpu", "default", *(build for build, _ in CUDA_BUILDS)}
    if name not in known:
        from app.errors import UserError

        raise UserError(f"Unknown PyTorch build {name!r}: choose one of {', '.join(sorted(known))}")
    return Variant(name, "chosen by name")
