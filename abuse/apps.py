from django.apps import AppConfig

from aragora.hooks import plug_abuse_guard


class AbuseConfig(AppConfig):
    """Rate policies' escalation, blocks and the blocklist (RATE-4), above accounts (#11)."""

    name = "abuse"
    verbose_name = "Abuse control"

    def ready(self) -> None:
        # Imported here, not at the top: abuse.services imports the models, which the app
        # registry only allows once every app is loaded.
        from abuse import services

        # The rate gate (aragora.ratelimit.enforce) asks this app about blocks, strikes and
        # refusals; until now it refused everything (aragora.hooks.Unplugged, fail closed).
        plug_abuse_guard(services)
