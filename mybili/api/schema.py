"""OpenAPI helpers: document each response as the envelope around its data."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema_field, inline_serializer
from rest_framework import serializers

from mybili.api.errors import ErrorCode
from mybili.api.params import INT64_MAX


class ErrorEnvelopeSerializer(serializers.Serializer):
    code = serializers.IntegerField(help_text="non-zero error code, see the code table")
    msg = serializers.CharField(help_text="what went wrong; names the parameter for code 1002")
    data = serializers.JSONField(allow_null=True, help_text="null, or per-item errors for a rejected batch")


@extend_schema_field({"type": "integer", "enum": [0], "description": "0: success"})
class _SuccessCode(serializers.IntegerField):
    pass


@extend_schema_field({"type": "string", "enum": ["SUCCESS"]})
class _SuccessMsg(serializers.CharField):
    pass


_envelopes: dict[str, serializers.Serializer] = {}


def envelope(name: str, data_serializer) -> serializers.Serializer:
    """`{code: 0, msg: "SUCCESS", data}`; one component per name, however many routes share it."""
    if name not in _envelopes:
        if isinstance(data_serializer, type):  # a serializer class: a field needs an instance
            data_serializer = data_serializer()
        _envelopes[name] = inline_serializer(
            name=f"{name}Envelope",
            fields={
                "code": _SuccessCode(),
                "msg": _SuccessMsg(),
                "data": data_serializer,
            },
        )
    return _envelopes[name]


def data_object(name: str, **fields) -> serializers.Serializer:
    """The shape of `data` when it is an object with these fields."""
    return inline_serializer(name=name, fields=fields)


def path_id_parameter(name: str, description: str) -> OpenApiParameter:
    """A `<str:…>` route segment read with `params.path_id`: a positive 64-bit integer."""
    return OpenApiParameter(
        name,
        {"type": "integer", "format": "int64", "minimum": 1, "maximum": INT64_MAX},
        OpenApiParameter.PATH,
        description=description,
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
