"""Every failure under /api/ becomes an envelope with the matching HTTP status."""

import logging

from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions as drf
from rest_framework.response import Response

from mybili.api.envelope import error_body, error_response
from mybili.api.errors import MESSAGES, ApiError, ErrorCode

logger = logging.getLogger("mybili.api")


def _flatten(detail, prefix="") -> list[str]:
    """DRF error details as `param: message` strings, so `msg` names the parameter."""
    if isinstance(detail, dict):
        out = []
        for key, value in detail.items():
            name = key if key != "non_field_errors" else ""
            out += _flatten(value, f"{prefix}.{name}" if prefix and name else (name or prefix))
        return out
    if isinstance(detail, list):
        if all(not isinstance(d, dict | list) for d in detail):
            return [f"{prefix}: {d}" if prefix else str(d) for d in detail]
        out = []
        for index, value in enumerate(detail):
            out += _flatten(value, f"{prefix}[{index}]")
        return out
    return [f"{prefix}: {detail}" if prefix else str(detail)]


def exception_handler(exc, context):
    headers = {}
    data = None
    if isinstance(exc, ApiError):
        code, status, msg, data = exc.code, exc.status, exc.msg, exc.data
    elif isinstance(exc, drf.ValidationError):
        code, status = ErrorCode.REQUEST_PARAM_ERROR, 400
        msg = "; ".join(_flatten(exc.detail)) or MESSAGES[code]
        if isinstance(exc.detail, dict) and "errors" in exc.detail:
            data = {"errors": exc.detail["errors"]}
    elif isinstance(exc, drf.ParseError):
        code, status, msg = ErrorCode.REQUEST_PARAM_ERROR, 400, f"malformed request body: {exc.detail}"
    elif isinstance(exc, drf.UnsupportedMediaType):
        code, status, msg = ErrorCode.REQUEST_PARAM_ERROR, 415, str(exc.detail)
    elif isinstance(exc, drf.NotAuthenticated | drf.AuthenticationFailed):
        code, status, msg = ErrorCode.AUTH_ERROR, 401, str(exc.detail)
        headers["WWW-Authenticate"] = "Token"
    elif isinstance(exc, drf.PermissionDenied | PermissionDenied):
        code, status, msg = ErrorCode.AUTH_ERROR, 403, MESSAGES[ErrorCode.AUTH_ERROR]
    elif isinstance(exc, drf.MethodNotAllowed):
        code, status, msg = ErrorCode.METHOD_NOT_ALLOWED, 405, str(exc.detail)
    elif isinstance(exc, drf.NotAcceptable):
        code, status, msg = ErrorCode.REQUEST_PARAM_ERROR, 406, str(exc.detail)
    elif isinstance(exc, drf.Throttled):
        code, status = ErrorCode.THROTTLED, 429
        msg = MESSAGES[code] + (f", retry in {exc.wait:.0f} s" if exc.wait else "")
        if exc.wait:
            headers["Retry-After"] = str(int(exc.wait) + 1)
    elif isinstance(exc, drf.NotFound | Http404):
        code, status, msg = ErrorCode.ROUTE_NOT_FOUND, 404, MESSAGES[ErrorCode.ROUTE_NOT_FOUND]
    elif isinstance(exc, OperationalError | InterfaceError):
        logger.exception("database unavailable")
        code, status, msg = ErrorCode.DB_ERROR, 503, MESSAGES[ErrorCode.DB_ERROR]
    elif isinstance(exc, DatabaseError):
        logger.exception("database error")
        code, status, msg = ErrorCode.SERVER_COMMON_ERROR, 500, MESSAGES[ErrorCode.SERVER_COMMON_ERROR]
    else:
        logger.exception("unhandled error in %s", context.get("view").__class__.__name__ if context else "?")
        code, status, msg = ErrorCode.SERVER_COMMON_ERROR, 500, MESSAGES[ErrorCode.SERVER_COMMON_ERROR]
    return Response(error_body(code, msg, data), status=status, headers=headers)


@csrf_exempt  # else a POST without a CSRF token gets Django's HTML 403 page instead of the envelope
def api_route_not_found(request, *args, **kwargs):
    return error_response(ErrorCode.ROUTE_NOT_FOUND, 404)


def handler400(request, exception=None):
    if request.path.startswith("/api/"):
        return error_response(ErrorCode.REQUEST_PARAM_ERROR, 400)
    from django.views.defaults import bad_request

    return bad_request(request, exception)


def handler500(request):
    """Outside DRF (middleware errors): envelope for /api/, Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return error_response(ErrorCode.SERVER_COMMON_ERROR, 500)
    from django.views.defaults import server_error

    return server_error(request)
