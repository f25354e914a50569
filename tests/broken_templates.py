"""A template loader that fails, as when templates or static files are missing in a deployment."""

from __future__ import annotations

from typing import Any

from django.template.loaders.base import Loader as BaseLoader


class Loader(BaseLoader):
    def get_template(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the template store is unavailable")

    def get_template_sources(self, template_name: str) -> Any:
        return iter(())


def raising_handler(request: Any, exception: Any = None) -> Any:
    """An error handler that itself fails: the last line of defence must still answer."""
    raise RuntimeError("the error handler failed")
