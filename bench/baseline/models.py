"""The list endpoint's rows: the shape of ``debates.Debate``."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class Debate(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    title = models.CharField(max_length=200)
    body = models.TextField(max_length=20000)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    hidden = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title
