"""Loads a function's `handler.py` the way Lambda does: as a fresh top-level module."""

from __future__ import annotations

import importlib.util
import itertools
from pathlib import Path
from types import ModuleType

FUNCTIONS_DIR = Path(__file__).resolve().parents[2] / "functions"
_counter = itertools.count()


def load_handler(function: str) -> ModuleType:
    path = FUNCTIONS_DIR / function / "handler.py"
    spec = importlib.util.spec_from_file_location(f"handler_{function}_{next(_counter)}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
