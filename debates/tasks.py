"""Scheduled jobs of the debates app."""

from celery import shared_task

from debates import services


@shared_task
def purge_expired_debates() -> int:
    """PRIV-5: debates past ``ARAGORA_DEBATE_RETENTION_DAYS``, and their files."""
    return services.purge_expired()
