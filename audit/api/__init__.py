"""The audit trail's API (AUDIT-5): events, export, verification; admin role only."""
