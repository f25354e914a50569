"""Issue #11 target 4: the debates API reads through selectors (AUTHZ-4)."""

from __future__ import annotations

import pytest

from debates import selectors
from debates.models import Debate
from tests.factories import UserFactory


@pytest.mark.django_db
def test_owned_debate_is_only_the_callers_own():
    """AUTHZ-4: a moderator sees another user's debate but may not add to it."""
    owner = UserFactory()
    moderator = UserFactory(roles=["moderator"])
    debate = Debate.objects.create(owner=owner, title="t", body="b")

    assert selectors.visible_debate(moderator, debate.pk) == debate
    assert selectors.owned_debate(moderator, debate.pk) is None
    assert selectors.owned_debate(owner, debate.pk) == debate
