"""Strict query-parameter fields: `1e2`, `1.5`, ` 7` and `abc` are not integers."""

import base64
import re

from rest_framework import serializers

_INT = re.compile(r"^-?[0-9]{1,19}$")


class StrictIntegerField(serializers.IntegerField):
    default_error_messages = {"invalid": "must be an integer written in digits"}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not (isinstance(data, int) or (isinstance(data, str) and _INT.match(data))):
            self.fail("invalid")
        return super().to_internal_value(data)


class IdListField(serializers.CharField):
    """`1,2,3`: up to `max_items` positive integers, de-duplicated in order."""

    def __init__(self, *, max_items: int = 100, **kwargs):
        self.max_items = max_items
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        parts = [p.strip() for p in text.split(",")]
        if not parts or any(not re.fullmatch(r"[0-9]{1,19}", p) or int(p) == 0 for p in parts):
            raise serializers.ValidationError("must be a comma-separated list of positive integers")
        if len(parts) > self.max_items:
            raise serializers.ValidationError(f"at most {self.max_items} ids")
        return list(dict.fromkeys(int(p) for p in parts))


def encode_cursor(*, hot: int, id: int, rank: int) -> str:
    return base64.urlsafe_b64encode(f"{hot}:{id}:{rank}".encode()).decode().rstrip("=")


class CursorField(serializers.CharField):
    """Opaque keyset cursor of the rankings: (hot, id) of the last item seen, and its rank."""

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
            hot, id_, rank = (int(p) for p in raw.split(":"))
        except (ValueError, UnicodeDecodeError):
            raise serializers.ValidationError("is not a cursor returned by this API") from None
        if id_ <= 0 or rank <= 0:
            raise serializers.ValidationError("is not a cursor returned by this API")
        return {"hot": hot, "id": id_, "rank": rank}


def validated(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def path_id(name: str, raw: str) -> int:
    """A positive integer id from the URL path, else a 400 that names it."""
    if not re.fullmatch(r"[0-9]{1,19}", raw) or not 0 < int(raw) < 2**63:
        raise serializers.ValidationError({name: ["must be a positive integer"]})
    return int(raw)
