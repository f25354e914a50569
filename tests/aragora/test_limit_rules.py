"""LIMIT-1, TEST-3 (#16): the multipart part counter is a limit of its own, not only Django's
``DATA_UPLOAD_MAX_NUMBER_FIELDS`` (which settings.py sets to the same number): with the
policy lowered below Django's limit, the middleware alone refuses. And the counting stream is a
faithful stream: reads of a size return that much, lines are lines."""

from __future__ import annotations

import io

import pytest
from django.test import Client

from aragora.http.limits import PartCountingStream, TooManyParts

pytestmark = pytest.mark.django_db


def test_the_middleware_counts_parts_below_djangos_own_limit(settings):
    settings.MAX_MULTIPART_PARTS = 3  # Django's DATA_UPLOAD_MAX_NUMBER_FIELDS stays at 100
    client = Client(raise_request_exception=False)
    ok = client.post("/api/test/echo", data={f"f{i}": "v" for i in range(3)})
    assert ok.status_code == 200 and len(ok.json()["keys"]) == 3
    refused = client.post("/api/test/echo", data={f"f{i}": "v" for i in range(4)})
    assert refused.status_code == 413
    assert refused.json()["error"]["code"] == "payload_too_large"


def test_a_malformed_content_length_is_400_bad_request():
    response = Client(raise_request_exception=False).post(
        "/api/test/echo", "{}", content_type="application/json", CONTENT_LENGTH="ten"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"


BODY = b"--B\r\nX: 1\r\n\r\nv\r\n--B\r\nX: 2\r\n\r\nw\r\n--B--\r\n"


def test_reads_and_lines_pass_through_unchanged():
    stream = PartCountingStream(io.BytesIO(BODY), b"B", max_parts=2)
    assert stream.read(3) == b"--B"
    assert stream.readline() == b"\r\n"
    assert stream.readline(4) == b"X: 1"
    assert stream.read() == BODY[3 + 2 + 4 :]
    assert stream.read(5) == b""


def test_the_part_over_the_limit_raises_with_a_plain_message():
    stream = PartCountingStream(io.BytesIO(BODY), b"B", max_parts=1)
    with pytest.raises(TooManyParts) as error:
        stream.read()
    assert str(error.value) == "Too many multipart parts."


def test_only_multipart_bodies_are_counted(settings):
    """A text body that declares a ``boundary`` parameter is not a multipart body: however many
    delimiter-like lines it holds, the part limit does not apply to it."""
    settings.MAX_MULTIPART_PARTS = 1
    body = "\r\n--x\r\n".join(["line"] * 5)
    response = Client(raise_request_exception=False).post(
        "/api/test/echo", body, content_type="text/plain; boundary=x"
    )
    assert response.status_code != 413
