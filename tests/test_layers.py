"""Layer rules import-linter cannot express (DESIGN.md §2); `lint-imports` checks the rest."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

APP_QT_MODULES = {"PySide6", "PySide6.QtCore", "PySide6.QtNetwork"}
STDLIB_ONLY = (
    "engine/spec.py",
    "engine/protocol.py",
    "engine/recommended.py",
    "engine/data_columns.py",
    "engine/run_dirs.py",
    "engine/model_files.py",
    "engine/model_card.py",
    "engine/network.py",
    "engine/network_templates.py",
    "engine/network_export.py",
    "engine/token_vocabulary.py",
    "engine/runtime_site.py",
)


def _imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def test_app_uses_only_qtcore_and_qtnetwork() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in (ROOT / "app").rglob("*.py")
        for line, module in _imports(path)
        if module.startswith("PySide6") and module not in APP_QT_MODULES
    ]
    assert offenders == []


def test_engine_spec_and_protocol_use_only_the_standard_library() -> None:
    import sys

    for relative in STDLIB_ONLY:
        path = ROOT / relative
        if not path.exists():
            continue
        for line, module in _imports(path):
            top = module.split(".")[0]
            assert top in sys.stdlib_module_names or top == "engine" or module == "__future__", (
                f"{relative}:{line} imports {module}"
            )


def test_the_shared_data_file_reader_needs_no_torch() -> None:
    """app/ imports engine/data_files.py and engine/text_encoding.py: the standard library,
    pyarrow and charset-normalizer, nothing more."""
    import sys

    allowed = {"pyarrow", "charset_normalizer"}
    for name in ("data_files.py", "text_encoding.py"):
        for line, module in _imports(ROOT / "engine" / name):
            top = module.split(".")[0]
            assert (
                top in sys.stdlib_module_names
                or top in allowed
                or module in ("__future__", "engine.text_encoding")
            ), f"engine/{name}:{line} imports {module}"
