"""MFA-3, TEST-3 (#16): backup codes as functions: their shape and alphabet, what typing
differences are forgiven (case, spaces, dashes, O/0 and I/L/1), and that only the keyed hash
is what is compared. The MFA flows (tests/accounts/test_mfa.py) use them end to end."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from accounts.mfa import backup
from aragora.crypto import keyed_hash

SHAPE = re.compile(r"[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}")


def test_the_alphabet_is_crockfords_base32():
    assert backup.ALPHABET == "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    assert len(set(backup.ALPHABET)) == 32


def test_new_codes_are_two_groups_of_five_and_differ():
    codes = [backup.new_code() for _ in range(200)]
    assert all(SHAPE.fullmatch(code) for code in codes), codes[:3]
    assert len(set(codes)) == len(codes)
    assert set("".join(codes).replace("-", "")) == set(backup.ALPHABET)  # every symbol is used


def test_normalise_forgives_case_spaces_dashes_and_look_alikes():
    assert backup.normalise("abcde-fghjk") == "ABCDEFGHJK"
    assert backup.normalise(" AB CD E - FG HJ K ") == "ABCDEFGHJK"
    assert backup.normalise("O0o-Il1iL") == "00011111"
    assert backup.normalise("") == ""


def test_the_hash_is_keyed_and_of_the_normalised_code():
    assert backup.code_hash("abcde fghjk") == keyed_hash("ABCDEFGHJK", purpose="backup-code")
    assert backup.code_hash("ABCDE-FGHJK") == backup.code_hash("abcdefghjk")
    assert backup.code_hash("ABCDE-FGHJK") != backup.code_hash("ABCDE-FGHJM")
    assert backup.code_hash("ABCDE-FGHJK") != keyed_hash("ABCDEFGHJK", purpose="other")


def test_what_looks_like_a_backup_code():
    assert backup.looks_like_backup_code("ABCDE-FGHJK")
    assert backup.looks_like_backup_code("abcde fghjk")
    assert not backup.looks_like_backup_code("ABCDE-FGHJ")  # nine
    assert not backup.looks_like_backup_code("ABCDE-FGHJKM")  # eleven
    assert not backup.looks_like_backup_code("123456")  # a TOTP code


@given(st.text(st.sampled_from(backup.ALPHABET + backup.ALPHABET.lower() + " -"), max_size=30))
def test_normalising_is_idempotent_and_keeps_only_the_alphabet(typed):
    once = backup.normalise(typed)
    assert backup.normalise(once) == once
    assert set(once) <= set(backup.ALPHABET)
    assert backup.looks_like_backup_code(typed) is (len(once) == 10)
