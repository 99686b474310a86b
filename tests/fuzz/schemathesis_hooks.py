"""Checks schemathesis runs on every response of sleeptime's HTTP API (see openapi-fuzz.test.ts).

An error is one JSON object {"error": {"code": "...", "message": "..."}}, never a stack trace.
"""
import json
import re

import schemathesis

STACK_FRAME = re.compile(r"\n\s+at \S+ \(|node:internal|\.ts:\d+:\d+")


@schemathesis.check
def error_is_json_with_code(ctx, response, case):
    if response.status_code < 400:
        return None
    try:
        body = json.loads(response.text)
    except ValueError:
        raise AssertionError(f"{response.status_code} answer is not JSON: {response.text[:200]!r}")
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict) or not isinstance(error.get("code"), str) or not isinstance(error.get("message"), str):
        raise AssertionError(f"{response.status_code} answer has no error code and message: {response.text[:200]!r}")
    return None


@schemathesis.check
def no_stack_trace(ctx, response, case):
    if STACK_FRAME.search(response.text or ""):
        raise AssertionError(f"the answer shows a stack trace: {response.text[:300]!r}")
    return None
