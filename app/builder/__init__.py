"""The Builder's service: network definitions analysed, fixed, templated and exported.

The rules live in engine/network.py (torch-free, so the engine builds from the same
answers); the GUI and the command line reach them through here.
"""

from engine.network import (
    ARGUMENTS,
    LAYER_TYPES,
    Analysis,
    LayerInfo,
    NetworkError,
    analyse,
    apply_fix,
    check,
    locate,
    upgrade,
)
from engine.network_export import export_source
from engine.network_templates import TEMPLATES

__all__ = [
    "ARGUMENTS",
    "LAYER_TYPES",
    "TEMPLATES",
    "Analysis",
    "LayerInfo",
    "NetworkError",
    "analyse",
    "apply_fix",
    "check",
    "export_source",
    "locate",
    "upgrade",
]
