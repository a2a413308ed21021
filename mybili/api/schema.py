"""OpenAPI helpers: document each response as the envelope around its data."""

from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

from mybili.api.errors import ErrorCode


class ErrorEnvelopeSerializer(serializers.Serializer):
    code = serializers.IntegerField(help_text="non-zero error code, see the code table")
    msg = serializers.CharField(help_text="what went wrong; names the parameter for code 1002")
    data = serializers.JSONField(allow_null=True, help_text="null, or per-item errors for a rejected batch")


def envelope(name: str, data_serializer) -> serializers.Serializer:
    return inline_serializer(
        name=f"{name}Envelope",
        fields={
            "code": serializers.IntegerField(help_text="0 on success"),
            "msg": serializers.CharField(help_text="SUCCESS"),
            "data": data_serializer,
        },
    )


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorEnvelopeSerializer, description=description)


COMMON_ERRORS = {
    400: _error(f"bad parameter (code {ErrorCode.REQUEST_PARAM_ERROR})"),
    429: _error(f"throttled (code {ErrorCode.THROTTLED})"),
    500: _error(f"server error (code {ErrorCode.SERVER_COMMON_ERROR})"),
    503: _error(f"database unavailable (code {ErrorCode.DB_ERROR})"),
}


def responses(name: str, data_serializer, **extra) -> dict:
    """200 as the envelope around `data_serializer`, plus the common and `extra` errors."""
    result = {200: envelope(name, data_serializer), **COMMON_ERRORS}
    for status, description in extra.items():
        result[int(status.lstrip("e"))] = _error(description)
    return result
