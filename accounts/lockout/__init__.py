"""Account lockout (LOCK-1..6): ``service`` (reserve, record, clear), ``stores`` (Redis and
database), ``tiers``, ``handler`` (django-axes), ``responses``. Kept import-light: settings
import ``tiers``."""
