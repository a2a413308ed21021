"""Assertions on the `{code, msg, data}` envelope."""

import json


def body(response) -> dict:
    """The response's envelope, after checking it is one."""
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    data = json.loads(response.content)
    assert set(data) == {"code", "msg", "data"}, data
    assert isinstance(data["code"], int) and isinstance(data["msg"], str)
    if data["code"] == 0:
        assert response.status_code == 200 and data["msg"] == "SUCCESS"
    else:
        assert response.status_code >= 400
        assert data["data"] is None or isinstance(data["data"], dict)
    return data


def error(response, status: int, code: int) -> str:
    """Assert an error envelope with this status and code; return its msg."""
    data = body(response)
    assert (response.status_code, data["code"]) == (status, code), (response.status_code, data)
    return data["msg"]


def ok_data(response):
    data = body(response)
    assert (response.status_code, data["code"]) == (200, 0), (response.status_code, data)
    return data["data"]
