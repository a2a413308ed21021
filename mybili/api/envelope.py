"""The `{code, msg, data}` envelope every /api/ response wears."""

import orjson
from django.http import HttpResponse
from rest_framework.renderers import BaseRenderer
from rest_framework.response import Response

from mybili.api.errors import MESSAGES, ErrorCode

SUCCESS_PREFIX = b'{"code":0,"msg":"SUCCESS","data":'


def ok(data) -> Response:
    return Response({"code": ErrorCode.OK.value, "msg": MESSAGES[ErrorCode.OK], "data": data})


def ok_prerendered(data_json: bytes) -> HttpResponse:
    """A success envelope around `data` that is already JSON (served from the cache as is)."""
    return HttpResponse(SUCCESS_PREFIX + data_json + b"}", content_type="application/json")


def error_body(code: ErrorCode, msg: str, data=None) -> dict:
    return {"code": int(code), "msg": msg, "data": data}


def error_response(code: ErrorCode, status: int, msg: str | None = None) -> HttpResponse:
    """An envelope error outside DRF (unknown routes, handler500)."""
    body = orjson.dumps(error_body(code, msg or MESSAGES[code]))
    return HttpResponse(body, status=status, content_type="application/json")


class OrjsonRenderer(BaseRenderer):
    media_type = "application/json"
    format = "json"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        return orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS)
