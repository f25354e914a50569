"""Shared by the erasure tests (PRIV-4): a user with a bit of everything, and a scan of every
table of the database for a piece of text."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import Client

from accounts.models import User
from debates.models import Attachment, Debate, Source
from privacy.purposes import PURPOSES
from privacy.services import set_consent, set_do_not_sell
from tests.authz.test_api_tokens import make_token
from tests.factories import UserFactory
from tests.helpers import Api


@dataclass
class Person:
    """A user with debates, a file, a source, consents, an API session, a browser session and
    an API token; ``texts`` are the words only their data holds."""

    user: User
    access: str
    refresh: str
    api_token: str
    browser: Client
    file: Path
    texts: list[str] = field(default_factory=list)


def _text(value: Any) -> str:
    if isinstance(value, memoryview):
        value = value.tobytes()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def tables_holding(needles: list[str]) -> dict[str, list[str]]:
    """Every table of the database (not only those with a model) whose rows, in any column,
    hold one of ``needles`` (case-insensitive): ``{table: [needles found]}``."""
    wanted = [n.lower() for n in needles]
    found: dict[str, set[str]] = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                text = " ".join(_text(v) for v in row).lower()
                hits = {n for n in wanted if n in text}
                if hits:
                    found.setdefault(table, set()).update(hits)
    return {table: sorted(hits) for table, hits in found.items()}


def make_person(tag: str, upload_dir: Path, **api_defaults: Any) -> Person:
    user = UserFactory(email=f"{tag}-person@example.com")
    words = [f"{tag} debate title", f"{tag} said something memorable"]
    debate = Debate.objects.create(owner=user, title=words[0], body=words[1])
    file = upload_dir / f"{tag}-stored.png"
    file.write_bytes(b"\x89PNG " + tag.encode())
    Attachment.objects.create(
        debate=debate, stored_name=file.name, filename=f"{tag}-holiday.png",
        content_type="image/png", size=file.stat().st_size,
    )  # fmt: skip
    Source.objects.create(debate=debate, url=f"https://{tag}.example.org/page", title=f"{tag} src")
    set_consent(user=user, purpose=PURPOSES["usage_analytics"], granted=True)
    set_do_not_sell(user=user, enabled=True)
    api_token = make_token(user, ["debates:read"])
    api = Api(**api_defaults)
    pair = api.login(user.email)
    browser = Client()
    browser.force_login(user)
    texts = [user.email, *words, f"{tag}-holiday.png", f"{tag}.example.org", f"{tag} src"]
    return Person(user, pair["access"], pair["refresh"], api_token, browser, file, texts)


def admin_logged_a_change_of(user: User, admin: User) -> None:
    """The Django admin's log of a staff change to ``user``: its ``object_repr`` is the email."""
    LogEntry.objects.create(
        user=admin,
        content_type=ContentType.objects.get_for_model(User),
        object_id=str(user.pk),
        object_repr=str(user.email),
        action_flag=CHANGE,
        change_message="[]",
    )
