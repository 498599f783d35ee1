"""JSON Schema validation of article records (schema v1) before export.

``pipelines.responses.decide`` validates every record it makes (in the extraction workers
during a crawl, and in ``reextract``); an invalid record is a bug, dropped and logged.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator

SCHEMA_VERSION = 1


@lru_cache(maxsize=1)
def record_validator() -> Draft202012Validator:
    text = resources.files("pipelines").joinpath("schema/article-v1.schema.json").read_text("utf-8")
    return Draft202012Validator(json.loads(text))


def record_errors(record: dict[str, Any]) -> list[str]:
    """Schema violations of one record, as readable '<path>: <message>' strings."""
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '<record>'}: {error.message}"
        for error in record_validator().iter_errors(record)
    ]
