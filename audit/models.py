"""The audit trail's storage."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Chain(models.TextChoices):
    """The two hash chains of the trail, one per retention category (AUDIT-3, AUDIT-4)."""

    SECURITY = "security", "Security log"  # ARAGORA_SECURITY_LOG_RETENTION_DAYS
    AUDIT = "audit", "Audit trail"  # ARAGORA_AUDIT_RETENTION_DAYS


class AuditEvent(models.Model):
    """One security event: who did what to whom, from where, with what outcome.

    ``data`` holds only what the event needs (AUDIT-2) and never a secret: ``audit.record``
    redacts it before it is stored. ``actor`` is kept as a nullable link so an erased user's
    events can be pseudonymised rather than lost.

    ``chain``, ``seq``, ``prev_seal``, ``key_id`` and ``seal`` make the row tamper-evident
    (AUDIT-3): see ``audit.integrity``. They are written once, at the insert, under the chain's
    lock; nothing else writes them. ``erased_in`` and ``erasure_seal`` mark a row pseudonymised
    by a user's erasure (PRIV-4): see ``audit.erasure``.
    """

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    event_type = models.CharField(max_length=64, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=256, blank=True)
    data = models.JSONField(default=dict, blank=True)
    chain = models.CharField(max_length=16, choices=Chain.choices, editable=False)
    seq = models.BigIntegerField(editable=False)
    prev_seal = models.CharField(max_length=64, blank=True, editable=False)
    key_id = models.CharField(max_length=16, editable=False)
    seal = models.CharField(max_length=64, editable=False)
    # Set only by the erasure of a user (PRIV-4, ``audit.erasure``): the ``seq`` of the
    # ``audit.user.erased`` event (audit chain) that pseudonymised this row, and the seal that
    # vouches for the row as rewritten (the original ``seal`` stays: the next event chains on it).
    erased_in = models.BigIntegerField(null=True, blank=True, editable=False)
    erasure_seal = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["actor", "created_at"]),
            models.Index(fields=["chain", "created_at"], name="audit_chain_created_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["chain", "seq"], name="audit_chain_seq_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.event_type}"


class ChainHead(models.Model):
    """The newest position of one chain: the row every writer locks before it appends (AUDIT-3).

    Appending updates this row first, so concurrent writers of one chain queue on its row lock
    (PostgreSQL) or the database write lock (SQLite): one sequence, no fork, no lost seal.
    ``last_seal`` is the seal of event ``seq``, which the next event chains onto: the locking
    ``UPDATE`` returns it, so no separate read of the previous event is needed (#12).
    """

    chain = models.CharField(max_length=16, choices=Chain.choices, primary_key=True)
    seq = models.BigIntegerField(default=0)
    last_seal = models.CharField(max_length=64, blank=True, default="")  # the seal of ``seq``

    def __str__(self) -> str:
        return f"{self.chain} #{self.seq}"
