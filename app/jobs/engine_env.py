"""The environment an engine starts with: what it needs to run, never the person's
shell secrets (an `HF_TOKEN` exported for other tools, the secret store's passphrase).
The secrets its job declares are added by the job service, and redacted by the engine."""

from __future__ import annotations

import re
from collections.abc import Mapping

from app.launch import child_environment
from app.runtime.service import runtime_environment

KEEP = {
    "PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TZ", "TMPDIR", "TEMP", "TMP",
    "LD_LIBRARY_PATH", "DYLD_LIBRARY_PATH", "VIRTUAL_ENV", "CONDA_PREFIX",
    "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE",
    "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy",
    "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "SPARKTRAINER_HOME",
    # Windows needs these to start a process at all.
    "SYSTEMROOT", "WINDIR", "COMSPEC", "PATHEXT", "USERPROFILE", "APPDATA", "LOCALAPPDATA",
    "PROGRAMDATA", "HOMEDRIVE", "HOMEPATH", "NUMBER_OF_PROCESSORS", "PROCESSOR_ARCHITECTURE",
}  # fmt: skip
KEEP_PREFIXES = (
    "LC_", "CUDA_", "NVIDIA_", "NCCL_", "PYTORCH_", "TORCH_", "HF_", "TRANSFORMERS_",
    "XDG_", "KMP_", "SPARKTRAINER_ENGINE_",
)  # fmt: skip
SECRET = re.compile(r"TOKEN|SECRET|PASSW|PASSPHRASE|API_?KEY|CREDENTIAL", re.IGNORECASE)
"""Never passed on, whatever the prefix (HF_TOKEN is an HF_ variable)."""


def engine_environment(system: Mapping[str, str]) -> dict[str, str]:
    """The variables of `system` an engine may see, and what starts it as this install
    does (a frozen build's reset, the private runtime's folder)."""
    kept = {
        name: value
        for name, value in system.items()
        if (name in KEEP or name.startswith(KEEP_PREFIXES)) and not SECRET.search(name)
    }
    return {**kept, **child_environment(), **runtime_environment()}
