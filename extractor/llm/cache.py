"""A disk cache of model answers, so that re-running a report costs nothing.

The key is a hash of everything that decides the answer: the model, the messages, the response
schema (``model_json_schema()``: a changed field or description is a new key), the mode and the
sampling settings. A stored answer is the parsed data plus its token counts; a hit is counted as a
cached call with no tokens spent.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

try:  # diskcache is in the [llm] extra; without it the cache is simply off
    import diskcache  # type: ignore[import-untyped]
except ImportError:  # pragma: no cover
    diskcache = None  # type: ignore[assignment]


def cache_key(model: str, messages: list[dict[str, Any]], schema: dict[str, Any], **settings: Any) -> str:
    payload = {"model": model, "messages": messages, "schema": schema, "settings": settings}
    blob = json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class AnswerCache:
    """A small wrapper over diskcache; ``None`` directory or a missing package means no caching."""

    def __init__(self, directory: Path | None) -> None:
        self._cache = None
        if directory is not None and diskcache is not None:
            directory.mkdir(parents=True, exist_ok=True)
            self._cache = diskcache.Cache(str(directory), size_limit=512 * 1024 * 1024)

    @property
    def enabled(self) -> bool:
        return self._cache is not None

    def get(self, key: str) -> dict[str, Any] | None:
        if self._cache is None:
            return None
        value = self._cache.get(key)
        return value if isinstance(value, dict) else None

    def set(self, key: str, value: dict[str, Any]) -> None:
        if self._cache is not None:
            self._cache.set(key, value)

    def close(self) -> None:
        if self._cache is not None:
            self._cache.close()


__all__ = ["AnswerCache", "cache_key"]
