"""Strict query-parameter fields: `1e2`, `1.5`, ` 7` and `abc` are not integers."""

import base64
import functools
import re

from django.http import QueryDict
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.utils import html

# Every id and counter the API reads fits a signed 64-bit column; a larger number
# would overflow the database driver (a 500), so it is a bad parameter instead.
INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)

_INT = re.compile(r"^-?[0-9]{1,19}$")
_ID = re.compile(r"^[0-9]{1,19}$")


class EmptyIsInvalid:
    """`?limit=` is a bad `limit`, not an omitted one (DRF's form semantics would apply the default)."""

    def get_value(self, dictionary):
        if html.is_html_input(dictionary) and dictionary.get(self.field_name) == "":
            return ""
        return super().get_value(dictionary)


class StrictIntegerField(EmptyIsInvalid, serializers.IntegerField):
    """An integer written in plain digits, within the signed 64-bit range unless narrowed."""

    default_error_messages = {"invalid": "must be an integer written in digits"}

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", INT64_MIN)
        kwargs.setdefault("max_value", INT64_MAX)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not (isinstance(data, int) or (isinstance(data, str) and _INT.match(data))):
            self.fail("invalid")
        return super().to_internal_value(data)


def _positive_id(text: str) -> int | None:
    if not _ID.match(text):
        return None
    value = int(text)
    return value if 0 < value <= INT64_MAX else None


@extend_schema_field({"type": "string", "pattern": r"^[1-9][0-9]{0,18}(,[1-9][0-9]{0,18}){0,99}$", "example": "1,2,3"})
class IdListField(EmptyIsInvalid, serializers.CharField):
    """`1,2,3`: up to `max_items` positive integers, de-duplicated in order."""

    def __init__(self, *, max_items: int = 100, **kwargs):
        self.max_items = max_items
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        parts = [p.strip() for p in text.split(",")]
        if len(parts) > self.max_items:
            raise serializers.ValidationError(f"at most {self.max_items} ids")
        ids = [_positive_id(p) for p in parts]
        if any(i is None for i in ids):
            raise serializers.ValidationError("must be a comma-separated list of positive integers")
        return list(dict.fromkeys(ids))


def encode_cursor(*, hot: int, id: int, rank: int) -> str:
    return base64.urlsafe_b64encode(f"{hot}:{id}:{rank}".encode()).decode().rstrip("=")


@extend_schema_field({"type": "string", "pattern": r"^[A-Za-z0-9_-]+$"})
class CursorField(EmptyIsInvalid, serializers.CharField):
    """Opaque keyset cursor of the rankings: (hot, id) of the last item seen, and its rank."""

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
            hot, id_, rank = (int(p) for p in raw.split(":"))
        except (ValueError, UnicodeDecodeError):
            raise serializers.ValidationError("is not a cursor returned by this API") from None
        if not (INT64_MIN <= hot <= INT64_MAX and 0 < id_ <= INT64_MAX and 0 < rank <= INT64_MAX - 1000):
            raise serializers.ValidationError("is not a cursor returned by this API")
        return {"hot": hot, "id": id_, "rank": rank}


def validated(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


@functools.lru_cache(maxsize=2048)
def _validated_query(serializer_class, query_string: str) -> dict:
    return dict(validated(serializer_class, QueryDict(query_string)))


def validated_query(serializer_class, request) -> dict:
    """`validated` for a request's query string, memoised per distinct query string.

    A DRF serializer deep-copies its fields whenever it is built (~80 µs), a third of
    a cached ranking request; hot pages repeat a handful of query strings. Errors are
    not memoised (lru_cache does not keep exceptions), and the cache is bounded.
    """
    return dict(_validated_query(serializer_class, request.META.get("QUERY_STRING", "")))


def path_id(name: str, raw: str) -> int:
    """A positive integer id from the URL path, else a 400 that names it."""
    value = _positive_id(raw)
    if value is None:
        raise serializers.ValidationError({name: ["must be a positive integer"]})
    return value
