"""The error-code table (the seed's xerr) and the exception that carries a code."""

from enum import IntEnum


class ErrorCode(IntEnum):
    OK = 0
    SERVER_COMMON_ERROR = 1001
    REQUEST_PARAM_ERROR = 1002
    DB_ERROR = 1003
    AUTH_ERROR = 1004
    THROTTLED = 1005
    ROUTE_NOT_FOUND = 1006
    METHOD_NOT_ALLOWED = 1007
    VIDEO_NOT_FOUND = 10001
    VIDEO_STAT_NOT_FOUND = 10002
    HOTRANK_NOT_FOUND = 11001
    USER_NOT_FOUND = 12001


MESSAGES = {
    ErrorCode.OK: "SUCCESS",
    ErrorCode.SERVER_COMMON_ERROR: "server busy, please retry later",
    ErrorCode.REQUEST_PARAM_ERROR: "bad parameter",
    ErrorCode.DB_ERROR: "database unavailable",
    ErrorCode.AUTH_ERROR: "authentication required",
    ErrorCode.THROTTLED: "too many requests",
    ErrorCode.ROUTE_NOT_FOUND: "no such route",
    ErrorCode.METHOD_NOT_ALLOWED: "method not allowed",
    ErrorCode.VIDEO_NOT_FOUND: "video not found",
    ErrorCode.VIDEO_STAT_NOT_FOUND: "video stat not found",
    ErrorCode.HOTRANK_NOT_FOUND: "ranking entry not found",
    ErrorCode.USER_NOT_FOUND: "user not found",
}


class ApiError(Exception):
    """An error the client is told about: HTTP status, envelope code and message."""

    def __init__(self, code: ErrorCode, status: int, msg: str | None = None, data=None):
        super().__init__(msg or MESSAGES[code])
        self.code = code
        self.status = status
        self.msg = msg or MESSAGES[code]
        self.data = data  # e.g. per-item errors of a rejected batch


def video_not_found(vid: int) -> ApiError:
    return ApiError(ErrorCode.VIDEO_NOT_FOUND, 404, f"video {vid} not found")


def video_stat_not_found(vid: int) -> ApiError:
    return ApiError(ErrorCode.VIDEO_STAT_NOT_FOUND, 404, f"stat of video {vid} not found")


def hotrank_not_found(oid: int, business: int) -> ApiError:
    return ApiError(ErrorCode.HOTRANK_NOT_FOUND, 404, f"archive {oid} is not in the ranking of business {business}")
