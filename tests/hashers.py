"""A test-only hasher: the production algorithm (bcrypt-SHA256) at the lowest cost.

It keeps the algorithm name, so hashes made here verify under the production settings too (the
gunicorn servers of the multi-process tests), and every test still runs real bcrypt code. Only
the cost differs: 4 instead of 12, the difference between 1 ms and 250 ms a hash. Tests about the
production cost itself are marked ``@pytest.mark.bcrypt`` and get the real hasher list (PWD-1).
"""

from __future__ import annotations

from django.contrib.auth.hashers import BCryptSHA256PasswordHasher


class FastBCryptSHA256PasswordHasher(BCryptSHA256PasswordHasher):
    rounds = 4
