# ClientBlock moved to the abuse app (#11): the state goes, the table stays for abuse.0001.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('aragora', '0002_cache_mark'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='ClientBlock')],
            database_operations=[],
        ),
    ]
