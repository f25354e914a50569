"""Abuse control (RATE-4, AUDIT-1): escalation of repeated 429s to blocks, the severe-abuse
blocklist, the ``ClientBlock`` model, the blocked-IP middleware, and the admin API and Django
admin that list and clear blocks. Sits above accounts (README "Architecture")."""
