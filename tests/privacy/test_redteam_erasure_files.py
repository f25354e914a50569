"""Red team (PRIV-4, PRIV-3): erasure is all or nothing. An export archive was deleted inside
the erasure's transaction: when the erasure then rolled back, the user kept a ``ready`` export
whose file was gone for good. The file goes once the erasure commits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.db import transaction

from privacy import storage
from privacy.models import DataExport, ExportStatus
from privacy.personal_data import erase_privacy
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


class Boom(Exception):
    pass


def _ready_export(settings: Any, tmp_path: Path) -> tuple[DataExport, Path]:
    settings.EXPORT_DIR = str(tmp_path / "exports")
    export = DataExport.objects.create(
        user=UserFactory(), file_name=storage.new_name(), status=ExportStatus.READY
    )
    path = storage.path_of(export.file_name)
    path.write_bytes(b"PK archive")
    return export, path


def test_a_rolled_back_erasure_keeps_the_archive(
    settings: Any, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    export, path = _ready_export(settings, tmp_path)
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(Boom),
        transaction.atomic(),
    ):
        erase_privacy(export.user)
        raise Boom  # a later step of the erasure failed: everything rolls back
    assert DataExport.objects.filter(pk=export.pk, status=ExportStatus.READY).exists()
    assert path.exists()


def test_a_committed_erasure_removes_the_archive(
    settings: Any, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    export, path = _ready_export(settings, tmp_path)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        erase_privacy(export.user)
    assert not DataExport.objects.filter(pk=export.pk).exists()
    assert not path.exists()
