"""Account lockout (LOCK-1, LOCK-2, LOCK-3, LOCK-4, LOCK-5): ``service`` (reserve, record,
clear), ``switch`` (which store decides), ``stores`` (the database) and ``redis_store``,
``tiers``, ``handler`` (django-axes), ``responses``. Kept import-light: settings import
``tiers``."""
