"""Project-level models: shared infrastructure state (the abuse app owns ``ClientBlock``)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class CacheMark(models.Model):
    """A shared cache that missed a write and must not be trusted (#10 item 9, OPS-2).

    Durable state (blocks, revocations) is written to the database, then mirrored in Redis.
    When the mirror write fails, this row says so: it outlives the writer (a short-lived task
    or command included) and needs no Redis to be seen. Every process reads the marks at most
    every ``ARAGORA_UNTRUSTED_CACHE_CHECK`` seconds and, while one stands, answers from the
    database; a reload of the cache deletes the mark unless a newer failure bumped ``version``.
    """

    name = models.CharField(max_length=40, primary_key=True)  # "abuse", "revocation"
    version = models.PositiveBigIntegerField(default=1)
    marked_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.name} cache untrusted since {self.marked_at:%Y-%m-%d %H:%M:%S}"


class RecordedGauge(models.Model):
    """A gauge a periodic job sets, kept for ``/metrics`` (OPS-1): when each Celery task last
    succeeded or failed, the last audit trail verification. Read at every scrape, so the value
    is right whichever process (a worker in another pod included) ran the job, and survives
    restarts. ``name`` is one of ``aragora.metrics.DURABLE_GAUGES``; ``label`` its one label's
    value (a task name) or empty."""

    name = models.CharField(max_length=80)
    label = models.CharField(max_length=200, blank=True, default="")
    value = models.FloatField()
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["name", "label"], name="recorded_gauge_name_label")
        ]

    def __str__(self) -> str:
        return f"{self.name}{{{self.label}}} = {self.value}"
