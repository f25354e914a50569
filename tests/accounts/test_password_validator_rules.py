"""PWD-2, TEST-3 (#16): the project's two password validators as objects: their messages,
codes and help texts as users read them, the history's default size, and what the history
does for users it cannot or must not remember (none, unsaved, no usable password)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from accounts.models import PasswordHistory, User
from accounts.validators import CompositionValidator, PasswordHistoryValidator
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def messages(password: str) -> list[tuple[str | None, str]]:
    with pytest.raises(ValidationError) as error:
        CompositionValidator().validate(password)
    return [(e.code, e.message) for e in error.value.error_list]


def test_each_missing_class_has_its_own_code_and_message_in_order():
    assert messages("!!!!") == [
        ("password_no_upper_case", "The password must contain an upper-case letter."),
        ("password_no_lower_case", "The password must contain a lower-case letter."),
        ("password_no_digit", "The password must contain a digit."),
    ]
    assert messages("abc1") == [
        ("password_no_upper_case", "The password must contain an upper-case letter.")
    ]


def test_composition_help_text(settings):
    assert CompositionValidator().get_help_text() == (
        "Your password must contain an upper-case letter, a lower-case letter and a digit."
    )
    settings.PASSWORD_COMPOSITION = False
    assert CompositionValidator().get_help_text() == ""
    CompositionValidator().validate("")  # off: nothing is refused


def test_history_remembers_five_by_default_and_says_so():
    validator = PasswordHistoryValidator()
    assert validator.count == 5
    assert validator.get_help_text() == "Your password must differ from your last 5 passwords."


def test_history_checks_the_newest_count_hashes_and_prunes_to_count():
    user = UserFactory()
    for n in range(4):  # each save records a hash (Django calls password_changed)
        user.set_password(f"Another-Pass-{n}-Word")
        user.save()
    validator = PasswordHistoryValidator(count=2)
    for reused in ("Another-Pass-3-Word", "Another-Pass-2-Word"):
        with pytest.raises(ValidationError) as error:
            validator.validate(reused, user)
        assert error.value.error_list[0].code == "password_reused"
        assert error.value.error_list[0].message == (
            "The password must differ from your last 2 passwords."
        )
    validator.validate("Another-Pass-1-Word", user)  # older than the newest two
    user.set_password("Another-Pass-4-Word")
    user.save()
    validator.password_changed("Another-Pass-4-Word", user)
    assert PasswordHistory.objects.filter(user=user).count() == 2


def test_history_ignores_users_it_cannot_remember(django_assert_num_queries):
    validator = PasswordHistoryValidator()
    with django_assert_num_queries(0):
        validator.validate("Any-Pass-1-Word", None)
        validator.validate("Any-Pass-1-Word", User(email="new@example.com"))
        validator.password_changed("Any-Pass-1-Word", None)
        validator.password_changed("Any-Pass-1-Word", User(email="new@example.com"))
    user = UserFactory()
    before = PasswordHistory.objects.filter(user=user).count()
    user.set_unusable_password()
    validator.password_changed("", user)
    assert PasswordHistory.objects.filter(user=user).count() == before
