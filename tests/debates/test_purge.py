"""The debate retention purge at set speed (#14 item 5, PRIV-5): primary-key ranges, set-based
deletes of the dependents, files after the commit, no model instance loaded."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.models.signals import post_init
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from debates import services
from debates.models import Attachment, Debate, Source
from debates.uploads import stored_path
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _debates(owner, n: int, *, days: int, files: bool = True) -> list[Debate]:
    made = []
    for i in range(n):
        debate = services.create_debate(owner=owner, title=f"d{i}", body="b")
        if files:
            upload = SimpleUploadedFile(f"f{i}.txt", f"file {i}\n".encode())
            services.attach(debate=debate, upload=upload, uploader=owner)
        Source.objects.create(debate=debate, url=f"https://example.com/{i}", title="t")
        made.append(debate)
    when = timezone.now() - timedelta(days=days)
    Debate.objects.filter(pk__in=[d.pk for d in made]).update(created_at=when)
    return made


def test_the_purge_removes_rows_and_files_keeps_newer_ones_and_loads_no_instance(
    user,
    settings,
    django_capture_on_commit_callbacks,  # the test's transaction never commits: run them here
):
    settings.DEBATE_RETENTION_DAYS = 30
    old = _debates(user, 7, days=31)
    new = _debates(user, 3, days=29)
    # Interleave the ages in primary-key order: the ranges must skip the newer rows inside them.
    Debate.objects.filter(pk=old[3].pk).update(created_at=timezone.now())
    kept_ids = {d.pk for d in new} | {old[3].pk}
    old_names = list(
        Attachment.objects.filter(debate__in=[d for d in old if d.pk not in kept_ids]).values_list(
            "stored_name", flat=True
        )
    )
    kept_names = set(
        Attachment.objects.filter(debate_id__in=kept_ids).values_list("stored_name", flat=True)
    )
    assert all(stored_path(n).exists() for n in old_names)
    loaded: list[object] = []

    def count(sender, instance, **kwargs):
        loaded.append(instance)

    post_init.connect(count)
    try:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            assert services.purge_expired(batch_size=2) == 6
    finally:
        post_init.disconnect(count)
    assert len(callbacks) == 3  # one unlink per batch, after its commit
    assert loaded == []  # not one model instance built
    assert set(Debate.objects.values_list("pk", flat=True)) == kept_ids
    assert set(Source.objects.values_list("debate_id", flat=True)) == kept_ids
    assert set(Attachment.objects.values_list("stored_name", flat=True)) == kept_names
    assert not any(stored_path(n).exists() for n in old_names)
    assert all(stored_path(n).exists() for n in kept_names)


def test_files_stay_when_the_batch_rolls_back(
    user, settings, monkeypatch, django_capture_on_commit_callbacks
):
    """A batch that fails keeps its rows and its files: both or neither."""
    settings.DEBATE_RETENTION_DAYS = 30
    _debates(user, 2, days=31)
    names = list(Attachment.objects.values_list("stored_name", flat=True))
    real = Debate.objects.none().__class__._raw_delete

    def failing(self, using):
        if self.model is Debate:
            raise RuntimeError("the database went away")
        return real(self, using)

    monkeypatch.setattr(Debate.objects.none().__class__, "_raw_delete", failing)
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        services.purge_expired()
    assert callbacks == []  # the failed batch's unlink was dropped with its transaction
    assert Debate.objects.count() == 2 and Attachment.objects.count() == 2
    assert Source.objects.count() == 2
    assert all(stored_path(n).exists() for n in names)


def test_the_purge_knows_every_dependent_of_a_debate():
    """The purge deletes attachments and sources by hand (no Collector): a new relation to
    Debate must be added to it, or its rows would block (or outlive) the purge."""
    dependents = {(r.related_model, r.field.name) for r in Debate._meta.related_objects}
    assert dependents == {(Attachment, "debate"), (Source, "debate")}
    for model in (Attachment, Source):
        assert not model._meta.related_objects  # nothing hangs off the dependents either


@pytest.mark.services
def test_the_purge_runs_a_bounded_number_of_queries_per_batch(user, settings):
    """PostgreSQL: per batch one SELECT of the range's ids, three DELETEs (the attachments'
    returning their file names), plus the transaction's own statements."""
    settings.DEBATE_RETENTION_DAYS = 30
    other = UserFactory()
    _debates(user, 6, days=31)
    _debates(other, 6, days=31, files=False)
    _debates(user, 1, days=1)
    with CaptureQueriesContext(connection) as small:
        assert services.purge_expired(batch_size=4) == 12
    per_batch = [q["sql"] for q in small.captured_queries]
    # 3 full batches and the final empty SELECT
    assert len(per_batch) <= 3 * 6 + 1
    deletes = [s for s in per_batch if s.startswith("DELETE")]
    assert len(deletes) == 3 * 3
    assert Debate.objects.count() == 1


@pytest.mark.parametrize("name", ["", ".", "..", "../x.txt", "a/b.txt", "/etc/passwd"])
def test_removing_stored_files_refuses_names_outside_the_folder(name, tmp_path, settings):
    from debates.uploads import UploadRefused, remove_stored

    settings.UPLOAD_DIR = str(tmp_path / "uploads")
    (tmp_path / "x.txt").write_text("outside")
    with pytest.raises(UploadRefused):
        remove_stored([name])
    assert (tmp_path / "x.txt").exists()
