"""The schema tells every answer the API can give: drf-spectacular documents the successes the
views declare; this hook adds the refusals every operation may answer (found by fuzzing the API
from its own schema, tests/test_api_fuzz.py)."""

ERROR_BODY = {"type": "object", "additionalProperties": True}  # {"detail": ...}, {"error": ...} or field errors
REFUSALS = {
    "400": "The request is not valid: the body says which field or parameter and why.",
    "401": "No valid token (or session).",
    "403": "The user's role does not allow this.",
    "413": "The body or a photo is over the size cap.",
    "429": "Too many requests: wait Retry-After seconds.",
}
NOT_FOUND = {"404": "No such object."}


def refusals_add(result, generator, request, public):
    """POSTPROCESSING_HOOKS: each operation also documents the refusals it can answer."""
    for path, operations in result.get("paths", {}).items():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            extra = {**REFUSALS, **(NOT_FOUND if "{" in path else {})}
            for code, description in extra.items():
                responses.setdefault(code, {"description": description,
                                            "content": {"application/json": {"schema": ERROR_BODY}}})
    return result
