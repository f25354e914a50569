"""PRIV-4, #13: the marks of a row pseudonymised by a user's erasure (``audit.erasure``).

Adding the columns rewrites no row (no UPDATE: the append-only trigger is not involved) and
changes no seal: rows sealed before keep verifying as they are."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_seal_and_chain")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="erased_in",
            field=models.BigIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="erasure_seal",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
    ]
