# API tokens expire (API_TOKEN_TTL_DAYS) and a user holds at most ten: each
# token takes a numbered slot, unique per user.

from datetime import timedelta

from django.conf import settings
from django.db import migrations, models
from django.utils import timezone


def number_existing_tokens(apps, schema_editor):
    """Existing tokens live a full period from now, in slots numbered by age (a user may hold more than ten)."""
    ApiToken = apps.get_model("accounts", "ApiToken")
    expires_at = timezone.now() + timedelta(days=settings.API_TOKEN_TTL_DAYS)
    slots = {}
    for token in ApiToken.objects.order_by("created_at").only("user_id"):
        slot = slots[token.user_id] = slots.get(token.user_id, -1) + 1
        ApiToken.objects.filter(pk=token.pk).update(slot=slot, expires_at=expires_at)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0002_api_token'),
    ]

    operations = [
        migrations.AddField(
            model_name='apitoken',
            name='expires_at',
            field=models.DateTimeField(default=timezone.now, editable=False, verbose_name='expires at'),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='apitoken',
            name='slot',
            field=models.PositiveSmallIntegerField(default=0, editable=False, verbose_name='slot'),
            preserve_default=False,
        ),
        migrations.RunPython(number_existing_tokens, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='apitoken',
            constraint=models.UniqueConstraint(fields=('user', 'slot'), name='apitoken_user_slot'),
        ),
    ]
