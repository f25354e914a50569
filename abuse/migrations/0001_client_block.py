# ClientBlock moved here from the aragora app (#11): the state only; the table
# "aragora_clientblock" and its rows stay as aragora.0001 made them.

import django.utils.timezone
from django.db import migrations, models


def move_content_type(apps, schema_editor):
    """Carry the model's content type (and so its permissions, their grants to the role
    groups and the admin log) over to the new app label."""
    ContentType = apps.get_model('contenttypes', 'ContentType')
    db = schema_editor.connection.alias
    if not ContentType.objects.using(db).filter(app_label='abuse', model='clientblock').exists():
        ContentType.objects.using(db).filter(app_label='aragora', model='clientblock').update(
            app_label='abuse'
        )


def restore_content_type(apps, schema_editor):
    ContentType = apps.get_model('contenttypes', 'ContentType')
    db = schema_editor.connection.alias
    if not ContentType.objects.using(db).filter(app_label='aragora', model='clientblock').exists():
        ContentType.objects.using(db).filter(app_label='abuse', model='clientblock').update(
            app_label='aragora'
        )


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('aragora', '0003_move_client_block_to_abuse'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='ClientBlock',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('key', models.CharField(max_length=100, unique=True)),
                        ('reason', models.CharField(choices=[('escalation', 'Kept exceeding rate limits'), ('severe_abuse', 'Severe abuse')], max_length=16)),
                        ('level', models.PositiveIntegerField(default=1)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('expires_at', models.DateTimeField(db_index=True)),
                    ],
                    options={
                        'db_table': 'aragora_clientblock',
                        'ordering': ['-expires_at'],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_type, restore_content_type),
    ]
