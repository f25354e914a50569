"""Test data factories (factory_boy)."""

from __future__ import annotations

from functools import lru_cache

import factory
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group

PASSWORD = "Correct-Horse-9-Battery"


@lru_cache(maxsize=1)
def password_hash() -> str:
    """One hash of PASSWORD per test process (bcrypt is slow on purpose, even at test cost)."""
    return make_password(PASSWORD)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "accounts.User"
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    password = factory.LazyFunction(password_hash)

    @factory.post_generation
    def roles(self, create: bool, extracted: list[str] | None, **kwargs: object) -> None:
        if create:
            self.groups.set(Group.objects.filter(name__in=extracted or ["member"]))
