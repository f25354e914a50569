"""The archive download response, shared by the API and the page (PRIV-3)."""

from __future__ import annotations

from typing import IO

from django.http import FileResponse

from aragora.http.headers import NO_STORE
from privacy.models import DataExport


def archive_response(export: DataExport, handle: IO[bytes]) -> FileResponse:
    """The archive as an attachment under a server-chosen name, streamed, never cached."""
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"aragora-export-{export.created_at:%Y-%m-%d}.zip",
        content_type="application/zip",
    )
    response["Cache-Control"] = NO_STORE
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"  # never a page
    return response
