"""The runtime dependencies in pyproject.toml are exactly what src/ imports (STYLE.md 13), and the package
metadata uses the current (SPDX) licence form."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
# Needed at run time without an import of ours: Starlette imports it for `request.form()` (console login).
NOT_IMPORTED = {"python-multipart"}
# Imported (guarded by ImportError) and pinned through an extra of a pinned dependency: uvicorn[standard].
THROUGH_EXTRAS = {"uvloop"}


def _name(requirement: str) -> str:
    """`uvicorn[standard]==0.54.0` -> `uvicorn`, normalised as PyPI compares names."""
    name = re.split(r"[\[=<>!~; ]", requirement, maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


def _imported_distributions(folder: Path) -> set[str]:
    """The installed distributions that provide the top-level modules imported under `folder`."""
    modules: set[str] = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    providers = packages_distributions()
    found = {_name(d) for m in modules - set(sys.stdlib_module_names) for d in providers.get(m, [])}
    return found - {"fairwatch"}


def test_every_runtime_pin_is_imported_by_the_code_and_every_import_is_pinned() -> None:
    pinned = {_name(r) for r in PYPROJECT["project"]["dependencies"]}
    imported = _imported_distributions(ROOT / "src")
    optional = {_name(r) for reqs in PYPROJECT["project"]["optional-dependencies"].values() for r in reqs}
    assert pinned - NOT_IMPORTED - imported == set(), "pinned but never imported"
    assert imported - pinned - optional - THROUGH_EXTRAS == set(), "imported but not pinned"


def test_licence_is_an_spdx_expression_with_a_build_backend_that_reads_it() -> None:
    assert PYPROJECT["project"]["license"] == "Apache-2.0"
    assert "setuptools>=77" in PYPROJECT["build-system"]["requires"]
