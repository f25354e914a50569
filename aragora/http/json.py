"""LIMIT-1/2: the API's JSON parser, bounded in size and nesting depth.

The size bound is enforced again here (the middleware trusts ``Content-Length``; this trusts
nothing). Parsing is the C ``json`` module, linear in the input, so 10 MB parses in well under
the policy's 5 s; the depth bound (``ARAGORA_MAX_JSON_DEPTH``, 64) stops deeply nested payloads
from costing recursion in the code that walks them later.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class BoundedJSONParser(JSONParser):
    """``JSONParser`` with a byte cap, a depth cap and strict JSON (no NaN/Infinity)."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        raw = stream.read(settings.MAX_JSON_BYTES + 1) if stream is not None else b""
        if len(raw) > settings.MAX_JSON_BYTES:
            raise RequestDataTooBig("JSON body too large.")
        try:
            data = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
        except (ValueError, RecursionError) as exc:
            raise ParseError("The request body is not valid JSON.") from exc
        if _depth_exceeds(data, settings.MAX_JSON_DEPTH):
            raise ParseError(f"JSON nesting deeper than {settings.MAX_JSON_DEPTH} levels.")
        return data


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def _depth_exceeds(data: Any, limit: int) -> bool:
    """True when containers nest deeper than ``limit``; iterative, stops early."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        children = value.values() if isinstance(value, Mapping) else value
        if not isinstance(value, (Mapping, list)):
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False
