"""What a test needs but may be missing here (Chromium, ../shared): a skip on a developer's
machine, a failure under CI, which installs it (a silent skip there would switch a check off)."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def under_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def missing(message: str, ci_message: str) -> NoReturn:
    """Skip with ``message``; under CI, fail with ``message`` and ``ci_message``."""
    if under_ci():
        pytest.fail(f"{message}{ci_message}")
    pytest.skip(message)
