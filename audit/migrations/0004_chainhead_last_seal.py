"""#12 (AUDIT-3): each chain head keeps the seal of its newest event, which the locking UPDATE
returns to the next writer (one round trip less per event). Filled here from the newest event
of each chain, or, for a chain purged to its last event, from the purge checkpoint.

Deploy with every writer stopped or upgraded together: a process still running the code from
before this migration appends without updating ``last_seal``, and the next new-code append
would chain onto a stale seal (``verify_trail`` reports it)."""

from django.db import migrations, models


def fill_last_seal(apps, schema_editor):
    AuditEvent = apps.get_model("audit", "AuditEvent")
    ChainHead = apps.get_model("audit", "ChainHead")
    for head in ChainHead.objects.all():
        seal = (
            AuditEvent.objects.filter(chain=head.chain, seq=head.seq)
            .values_list("seal", flat=True)
            .first()
        )
        if seal is None:  # the newest event was purged: its seal is in the checkpoint
            checkpoint = (
                AuditEvent.objects.filter(
                    event_type="audit.trail.purged",
                    data__chain=head.chain,
                    data__through_seq=head.seq,
                )
                .values_list("data", flat=True)
                .first()
            )
            seal = str(checkpoint.get("through_seal", "")) if checkpoint else ""
        ChainHead.objects.filter(chain=head.chain).update(last_seal=seal)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_erasure_marks")]

    operations = [
        migrations.AddField(
            model_name="chainhead",
            name="last_seal",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.RunPython(fill_last_seal, migrations.RunPython.noop),
    ]
