"""The base of every /api/ view."""

from rest_framework.metadata import BaseMetadata
from rest_framework.views import APIView

from mybili.api.errors import MESSAGES, ErrorCode


class EnvelopeMetadata(BaseMetadata):
    """OPTIONS answers the envelope too: DRF's default metadata is a bare object."""

    def determine_metadata(self, request, view):
        return {
            "code": ErrorCode.OK.value,
            "msg": MESSAGES[ErrorCode.OK],
            "data": {"name": view.get_view_name(), "methods": view.allowed_methods},
        }


class ApiView(APIView):
    metadata_class = EnvelopeMetadata
