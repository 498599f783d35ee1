"""The module map in ``pipelines/extract/__init__.py`` names every module of the package."""

from __future__ import annotations

from pathlib import Path

import pipelines.extract

PACKAGE = Path(pipelines.extract.__file__).parent


def test_every_extract_module_is_in_the_map() -> None:
    doc = pipelines.extract.__doc__ or ""
    modules = {p.stem for p in PACKAGE.rglob("*.py") if p.stem != "__init__"}
    modules |= {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert len(modules) > 20
    missing = sorted(name for name in modules if f"``{name}``" not in doc)
    assert not missing, f"not in the module map of pipelines/extract/__init__.py: {missing}"
