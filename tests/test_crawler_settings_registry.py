"""Every newsarchive setting has its default in ``crawler/settings.py`` and nowhere else: no
read site passes a default of its own, so ``-s`` and the registry always decide."""

from __future__ import annotations

import ast
from pathlib import Path

import crawler.settings as registry

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("archive", "crawler", "pipelines")
PREFIXES = ("NEWSARCHIVE_", "WARC_", "EXTRACT_", "STORAGE_", "FRONTIER_")
GETTERS = {"get", "getint", "getbool", "getfloat", "getlist", "getdict", "getwithbase"}
# Read sites in modules other developers own; their defaults go at merge (the values already
# match crawler/settings.py).
KNOWN_REPEATED: set[tuple[str, str]] = set()


def setting_reads(source: str) -> list[tuple[int, str, bool]]:
    """(line, name, whether a default is passed) of every ``settings.getX("NAME", ...)``
    (``os.environ.get`` is not a setting)."""
    reads = []
    for node in ast.walk(ast.parse(source)):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in GETTERS and node.args
                and not (isinstance(node.func.value, ast.Attribute)
                         and node.func.value.attr == "environ")
                and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
                and node.args[0].value.startswith(PREFIXES)):
            reads.append((node.lineno, node.args[0].value, len(node.args) > 1 or bool(node.keywords)))
    return reads


def all_reads() -> list[tuple[str, int, str, bool]]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            name = path.relative_to(ROOT).as_posix()
            found += [(name, *read) for read in setting_reads(path.read_text(encoding="utf-8"))]
    return found


def test_every_setting_read_has_its_default_in_the_registry() -> None:
    reads = all_reads()
    assert len(reads) > 20  # the walk found the read sites
    missing = sorted({f"{name}:{line}: {setting}" for name, line, setting, _ in reads
                      if not hasattr(registry, setting)})
    assert not missing, "no default in crawler/settings.py:\n" + "\n".join(missing)


def test_no_read_site_repeats_a_default() -> None:
    repeated = [f"{name}:{line}: {setting}" for name, line, setting, has_default in all_reads()
                if has_default and (name, setting) not in KNOWN_REPEATED]
    assert not repeated, "defaults belong in crawler/settings.py:\n" + "\n".join(repeated)


def test_the_check_sees_a_repeated_default() -> None:
    assert setting_reads('x = settings.getint("WARC_MAX_SIZE", 5)\n') == [(1, "WARC_MAX_SIZE", True)]
    assert setting_reads('x = settings.getint("WARC_MAX_SIZE")\n') == [(1, "WARC_MAX_SIZE", False)]
