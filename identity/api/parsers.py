"""The API's JSON parser: bodies of a bounded size and nesting, refused with a 400 in JSON (the
stock parser lets 5,000 nested brackets reach Python's recursion limit: a 500)."""

import json

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.utils.json import strict_constant

from faceapp.sizes import size_text

MAX_JSON_BYTES = 1024 * 1024  # the API's JSON bodies are a few fields; photos come as multipart
MAX_JSON_DEPTH = 32


def json_depth(value) -> int:
    """How deeply lists and objects nest in a parsed JSON value (a scalar is 0), without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children)
    return deepest


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        body = stream.read(MAX_JSON_BYTES + 1)
        if len(body) > MAX_JSON_BYTES:
            raise ParseError(f"The JSON body is over {size_text(MAX_JSON_BYTES)}.")
        try:
            value = json.loads(body.decode(encoding), parse_constant=strict_constant if self.strict else None)
        except RecursionError:
            raise ParseError(f"The JSON nests deeper than {MAX_JSON_DEPTH} levels.") from None
        except ValueError as error:  # UnicodeDecodeError is one too
            raise ParseError(f"JSON parse error - {error}") from None
        if json_depth(value) > MAX_JSON_DEPTH:
            raise ParseError(f"The JSON nests deeper than {MAX_JSON_DEPTH} levels.")
        return value
