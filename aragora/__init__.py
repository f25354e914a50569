"""Aragora: a Django project that makes a written security policy true, end to end."""

from aragora.celery import app as celery_app

__all__ = ["celery_app"]
