"""`engine probe`: can this process train? Imports what the engine needs and answers one
JSON line (the runtime installer runs it before it marks an install usable)."""

from __future__ import annotations

import json
from typing import IO


def main(stdout: IO[str]) -> int:
    import peft
    import safetensors
    import torch
    import transformers

    answer = {
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "cuda_available": torch.cuda.is_available(),
        "devices": torch.cuda.device_count(),
        "transformers": transformers.__version__,
        "peft": peft.__version__,
        "safetensors": safetensors.__version__,
        "torch_file": torch.__file__,
    }
    stdout.write(json.dumps(answer) + "\n")
    stdout.flush()
    return 0
