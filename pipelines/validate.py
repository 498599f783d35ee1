"""JSON Schema validation of article records (schema 1.2) before export.

``pipelines.responses.decide`` validates every record it makes (in the extraction workers
during a crawl, and in ``reextract``); an invalid record is a bug, dropped and logged.
jsonschema is the reference validator; fastjsonschema's compiled check is the fast path.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from functools import lru_cache
from importlib import resources
from typing import Any

import fastjsonschema
from jsonschema import Draft202012Validator

SCHEMA_VERSION = 1  # major: every 1.x record has it, so readers of 1.0 keep working
SCHEMA_MINOR = 2
# The schema of the records made now; older minor versions' files stay beside it, unchanged.
SCHEMA_FILE = "schema/article-v1.2.schema.json"


def article_id(url: str) -> str:
    """A record's stable ``id``: SHA-1 (hex) of the URL it was fetched from (the seen-store's
    key), the same in every revision, for upserts."""
    return hashlib.sha1(url.encode("utf-8")).hexdigest()


@lru_cache(maxsize=1)
def record_schema() -> dict[str, Any]:
    text = resources.files("pipelines").joinpath(SCHEMA_FILE).read_text("utf-8")
    return json.loads(text)


@lru_cache(maxsize=1)
def record_validator() -> Draft202012Validator:
    return Draft202012Validator(record_schema())


@lru_cache(maxsize=1)
def _compiled_check() -> Callable[[dict[str, Any]], Any]:
    """fastjsonschema's compiled validator: ~20x faster than jsonschema on a valid record,
    which is every record unless there is a bug."""
    return fastjsonschema.compile(record_schema())


def record_errors(record: dict[str, Any]) -> list[str]:
    """Schema violations of one record, as readable '<path>: <message>' strings.

    jsonschema (Draft 2020-12) is the judge; the compiled check only lets a valid record
    through without asking it."""
    try:
        _compiled_check()(record)
        return []
    except fastjsonschema.JsonSchemaException:
        pass
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '<record>'}: {error.message}"
        for error in record_validator().iter_errors(record)
    ]
