from django.db import migrations, models
from django.db.models import F


def no_withdrawal_period(apps, schema_editor):
    """Existing terms get no withdrawal period (the deadline at the drop deadline) until the registrar sets one."""
    apps.get_model("catalog", "Term").objects.filter(withdraw_deadline=None).update(withdraw_deadline=F("drop_deadline"))


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0004_instructors_and_grades_due'),
    ]

    operations = [
        migrations.AddField(
            model_name='term',
            name='withdraw_deadline',
            field=models.DateTimeField(null=True),
        ),
        migrations.RunPython(no_withdrawal_period, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='term',
            name='withdraw_deadline',
            field=models.DateTimeField(help_text='From the drop deadline until this one, students withdraw (grade W) instead of dropping.', verbose_name='withdrawal deadline'),
        ),
    ]
