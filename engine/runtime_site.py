"""The private runtime's folder on an engine's import path (app/runtime installs it).

A frozen build's own packages are found before anything on sys.path, and some of them
(numpy, jinja2, packaging…) are partial copies holding only what the window imports. The
runtime's libraries were resolved together by pip, so in an engine they win: every
top-level name the runtime folder holds is imported from there, the rest from the build.
"""

from __future__ import annotations

import importlib.machinery
import site
import sys
from collections.abc import Sequence
from importlib.abc import MetaPathFinder
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType

SITE_ENV = "SPARKTRAINER_ENGINE_SITE"
"""Where the runtime is (kept by app/jobs/engine_env.py: SPARKTRAINER_ENGINE_ prefix)."""


def top_level_names(folder: Path) -> set[str]:
    names = set()
    for entry in folder.iterdir():
        name = entry.name
        if name.endswith((".dist-info", ".data", ".pth")) or name == "__pycache__":
            continue
        if entry.is_dir():
            names.add(name)
        elif name.endswith((".py", ".so", ".pyd")):
            names.add(name.split(".")[0])
    return names


class RuntimeFirst(MetaPathFinder):
    def __init__(self, folder: Path) -> None:
        self.folder = str(folder)
        self.names = top_level_names(folder)

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> ModuleSpec | None:
        if fullname.partition(".")[0] not in self.names:
            return None
        search = list(path) if path is not None else [self.folder]
        return importlib.machinery.PathFinder.find_spec(fullname, search, target)


def activate(folder: str) -> None:
    """Before the engine imports anything of the runtime's."""
    path = Path(folder)
    if any(isinstance(f, RuntimeFirst) and f.folder == str(path) for f in sys.meta_path):
        return  # active already (main.py activates it before a spawned worker's start)
    site.addsitedir(folder)  # also runs the runtime's .pth files
    sys.meta_path.insert(0, RuntimeFirst(path))
