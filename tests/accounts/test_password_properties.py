"""PWD-2, TEST-1 (#16): properties of the password policy over generated passwords, through
Django's ``validate_password`` with the project's validators (the user is unsaved: no history).

- length: fewer than 12 characters is refused and 12 or more never is for length; characters
  are Unicode code points, whatever the script (NIST SP 800-63B counts code points);
- composition: a missing upper-case letter, lower-case letter or digit is each its own error,
  in any script, and never when all three are there; ``ARAGORA_PASSWORD_COMPOSITION=0`` turns
  exactly these errors off; its verdict is the same for canonically equivalent spellings (NFC
  and NFD) of one password;
- every broken rule is listed in one error;
- a password that is mostly the user's email local part (any case, a few characters added)
  is refused as too similar.
"""

from __future__ import annotations

import unicodedata

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import override_settings
from hypothesis import assume, example, given
from hypothesis import strategies as st

from accounts.models import User
from accounts.validators import CompositionValidator

COMPOSITION = {"password_no_upper_case", "password_no_lower_case", "password_no_digit"}
USER = User(email="jane.doe@example.com")

uppers = st.characters(categories=["Lu"])
lowers = st.characters(categories=["Ll"]).filter(str.islower)
digits = st.characters(categories=["Nd"])
others = st.characters(categories=["Po", "Ps", "Pe", "Sm", "Zs"])  # never cased, never a digit
# Strong-looking filler: random letters, digits and symbols from every script.
filler = st.text(st.characters(exclude_categories=["Cs", "Cc"]), min_size=0, max_size=40)


def codes(password: str, user: User = USER) -> set[str]:
    try:
        validate_password(password, user=user)
    except ValidationError as error:
        return {e.code for e in error.error_list if e.code}
    return set()


def composition_codes(password: str) -> set[str]:
    try:
        CompositionValidator().validate(password)
    except ValidationError as error:
        return {e.code for e in error.error_list if e.code}
    return set()


@given(st.text(st.characters(exclude_categories=["Cs"]), max_size=11))
@example("Aa1!Aa1!Aa1")
def test_under_12_characters_is_refused(password):
    assert "password_too_short" in codes(password)


@given(st.text(st.characters(exclude_categories=["Cs"]), min_size=12, max_size=60))
@example("é" * 12)
@example("e\u0301" * 6)  # 12 code points, six characters on the screen
def test_12_characters_or_more_is_never_refused_for_length(password):
    assert "password_too_short" not in codes(password)


@given(uppers, lowers, digits, filler, st.randoms(use_true_random=False))
@example("Ä", "ß", "٣", "", None)
def test_a_password_with_all_three_classes_passes_composition(upper, lower, digit, rest, rnd):
    chars = [upper, lower, digit, *rest]
    if rnd is not None:
        rnd.shuffle(chars)
    assert composition_codes("".join(chars)) == set()


@given(
    st.sampled_from(sorted(COMPOSITION)),
    st.lists(st.one_of(uppers, lowers, digits, others), min_size=0, max_size=40),
)
def test_each_missing_class_is_its_own_error(missing, chars):
    dropped = {
        "password_no_upper_case": str.isupper,
        "password_no_lower_case": str.islower,
        "password_no_digit": str.isdigit,
    }[missing]
    password = "".join(ch for ch in chars if not dropped(ch))
    assert missing in composition_codes(password)
    assert missing in codes(password)


@given(st.text(st.characters(exclude_categories=["Cs"]), max_size=40))
def test_composition_off_drops_exactly_the_composition_errors(password):
    with override_settings(PASSWORD_COMPOSITION=False):
        relaxed = codes(password)
        assert CompositionValidator().get_help_text() == ""
    assert relaxed == codes(password) - COMPOSITION


@given(st.text(st.characters(exclude_categories=["Cs"]), max_size=30))
@example("É")
@example("ǅ")  # title case: neither upper nor lower, in every normal form of it
def test_composition_is_the_same_for_nfc_and_nfd_spellings(password):
    nfc, nfd = unicodedata.normalize("NFC", password), unicodedata.normalize("NFD", password)
    assert composition_codes(nfc) == composition_codes(nfd)


@given(st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz"), max_size=11))
def test_every_broken_rule_is_listed_in_one_error(password):
    """Only lower-case letters, under 12: short, no upper-case, no digit, all at once."""
    assert {"password_too_short", "password_no_upper_case", "password_no_digit"} <= codes(password)


@given(
    st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789"), min_size=12, max_size=24),
    st.text(st.sampled_from("!#%&*+-=?^_~0123456789"), max_size=3),
    st.booleans(),
    st.booleans(),
)
@example("alexanderthegreat", "1!", False, True)
def test_a_password_made_of_the_email_local_part_is_too_similar(local, extra, at_front, upper):
    assume(any(ch.isalpha() for ch in local))
    user = User(email=f"{local}@example.org")
    stem = local.upper() if upper else local.title()
    password = extra + stem if at_front else stem + extra
    assert "password_too_similar" in codes(password, user)
