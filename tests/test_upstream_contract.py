"""The private Scrapy/Twisted/scrapy-redis names newsarchive relies on still exist and still
take the parameters we use (archive/upstream.py lists them): an upgrade that changes one fails
here, by name."""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import pytest
import archive.upstream as upstream

ROOT = Path(__file__).resolve().parents[1]


def resolve(path: str) -> object:
    module, _, name = path.rpartition(".")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        pytest.fail(f"{path} is gone from the installed version ({exc}): see archive/upstream.py")


def test_every_private_import_resolves() -> None:
    for name in upstream.__all__:
        assert hasattr(upstream, name), f"archive.upstream.{name} missing"


@pytest.mark.parametrize("owner, method", sorted(upstream.OVERRIDDEN), ids=lambda v: str(v))
def test_overridden_methods_keep_their_parameters(owner: str, method: str) -> None:
    cls = resolve(owner)
    function = getattr(cls, method, None)
    assert function is not None, f"{owner}.{method} is gone: see archive/upstream.py"
    parameters = tuple(inspect.signature(function).parameters)
    assert parameters == upstream.OVERRIDDEN[(owner, method)], (
        f"{owner}.{method} now takes {parameters}; archive/upstream.py expects "
        f"{upstream.OVERRIDDEN[(owner, method)]}")


def test_instance_attributes_we_read_are_set() -> None:
    """Set by the class itself (its attribute or an assignment in its source); building a
    download handler would need a running reactor."""
    for owner, names in upstream.INSTANCE_ATTRIBUTES.items():
        cls = resolve(owner)
        sources = "\n".join(inspect.getsource(base) for base in cls.__mro__
                            if base.__module__.startswith(("scrapy", "twisted")))
        for name in names:
            assert hasattr(cls, name) or re.search(rf"self\.{name}\s*[:=]", sources), (
                f"{owner} no longer sets {name}: see archive/upstream.py")


def test_private_names_are_imported_only_through_archive_upstream() -> None:
    private_import = re.compile(
        r"^\s*from (scrapy|twisted|scrapy_redis)[\w.]* import .*\b_[A-Za-z]\w*"
        r"|^\s*from (scrapy|twisted)[\w.]*\._\w+ import", re.MULTILINE)
    offenders = []
    for package in ("crawler", "archive", "pipelines"):
        for path in (ROOT / package).rglob("*.py"):
            if path.name == "upstream.py":
                continue
            if private_import.search(path.read_text(encoding="utf-8")):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == [], f"import these through archive.upstream: {offenders}"


def test_the_libraries_are_bounded_to_the_versions_tested() -> None:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    for name in ("scrapy", "Twisted", "scrapy-redis"):
        match = re.search(rf'"{re.escape(name)}[^"]*<[^"]*"', text)
        assert match, f"{name} has no upper bound in pyproject.toml"
