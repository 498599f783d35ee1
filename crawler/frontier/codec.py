"""Requests in the shared queue as JSON, not pickle: whoever can write to the Redis can queue
URLs, never run code in the workers."""

from __future__ import annotations

import base64
import json
from typing import Any

from archive.wire import WIRE_META_KEY


class JsonRequests:
    """The queue's serializer (scrapy-redis calls ``dumps``/``loads``): a request dict as
    JSON, bytes (body, header names and values) as base64 under ``__bytes__``, dicts with
    non-string keys as ``__items__`` pairs."""

    @staticmethod
    def dumps(obj: Any) -> str:
        meta = obj.get("meta") if isinstance(obj, dict) else None
        if meta and any(key in meta for key in _FETCH_STATE_META):
            # what one fetch left in the meta a redirect copies: not the next request's
            obj = {**obj, "meta": {k: v for k, v in meta.items() if k not in _FETCH_STATE_META}}
        return json.dumps(_to_json(obj), separators=(",", ":"))

    @staticmethod
    def loads(raw: str | bytes) -> Any:
        return json.loads(raw, object_hook=_from_json)


# the in-flight hash field of a popped request (a redirect copies the meta: never queued)
INFLIGHT_META_KEY = "_newsarchive_inflight"
_FETCH_STATE_META = frozenset({WIRE_META_KEY, INFLIGHT_META_KEY})


def _to_json(obj: Any) -> Any:
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    if isinstance(obj, bytes):
        return {"__bytes__": base64.b64encode(obj).decode("ascii")}
    if isinstance(obj, (list, tuple)):
        return [_to_json(item) for item in obj]
    if isinstance(obj, dict):
        if all(isinstance(key, str) for key in obj):
            return {key: _to_json(value) for key, value in obj.items()}
        return {"__items__": [[_to_json(key), _to_json(value)] for key, value in obj.items()]}
    raise TypeError(f"cannot queue a request holding a {type(obj).__name__} "
                    "(request meta and cb_kwargs must be JSON-like)")


def _from_json(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        if "__bytes__" in obj:
            return base64.b64decode(obj["__bytes__"])
        if "__items__" in obj:
            return {_hashable(key): value for key, value in obj["__items__"]}
    return obj


def _hashable(key: Any) -> Any:
    return tuple(key) if isinstance(key, list) else key
