"""AUDIT-3: seal every event in a hash chain per retention category; on PostgreSQL, refuse
UPDATE and DELETE of events outside the retention purge (and the erasure hook of issue #13)."""

import django.utils.timezone
from django.db import migrations, models

TRIGGER_SQL = """
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('aragora.audit_purge', true) = 'on' THEN
        RETURN OLD;
    END IF;
    IF TG_OP = 'UPDATE' AND current_setting('aragora.audit_erasure', true) = 'on' THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit events are append-only (AUDIT-3): % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();
"""

DROP_TRIGGER_SQL = """
DROP TRIGGER IF EXISTS audit_event_append_only ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_event_append_only();
"""


def seal_existing(apps, schema_editor):
    """Events written before this migration join their chain in id order, sealed now."""
    from audit import integrity
    from audit.events import category_of

    AuditEvent = apps.get_model("audit", "AuditEvent")
    ChainHead = apps.get_model("audit", "ChainHead")
    heads: dict[str, tuple[int, str]] = {}  # chain: (seq, seal) of its newest event
    key_id, key = integrity._current_key()
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=1000):
        event.chain = category_of(event.event_type)
        seq, prev = heads.get(event.chain, (0, ""))
        event.seq, event.prev_seal, event.key_id = seq + 1, prev, key_id
        event.seal = integrity.compute_seal(key, integrity._fields(event))
        event.save(update_fields=["chain", "seq", "prev_seal", "key_id", "seal"])
        heads[event.chain] = (event.seq, event.seal)
    for chain, (seq, _seal) in heads.items():
        ChainHead.objects.create(chain=chain, seq=seq)


def add_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER_SQL, params=None)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_TRIGGER_SQL, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="created_at",
            field=models.DateTimeField(db_index=True, default=django.utils.timezone.now),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="chain",
            field=models.CharField(
                choices=[("security", "Security log"), ("audit", "Audit trail")],
                default="audit",
                editable=False,
                max_length=16,
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="seq",
            field=models.BigIntegerField(default=0, editable=False),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="prev_seal",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="key_id",
            field=models.CharField(default="", editable=False, max_length=16),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="seal",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.CreateModel(
            name="ChainHead",
            fields=[
                (
                    "chain",
                    models.CharField(
                        choices=[("security", "Security log"), ("audit", "Audit trail")],
                        max_length=16,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                ("seq", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(seal_existing, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(fields=["chain", "created_at"], name="audit_chain_created_idx"),
        ),
        migrations.AddConstraint(
            model_name="auditevent",
            constraint=models.UniqueConstraint(
                fields=("chain", "seq"), name="audit_chain_seq_unique"
            ),
        ),
        migrations.RunPython(add_trigger, drop_trigger),
    ]
