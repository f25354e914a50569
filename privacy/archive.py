"""The export archive (PRIV-3): a zip with one ``<kind>.json`` per registered provider, the
providers' files under ``attachments/``, and ``manifest.json``; written in bounded memory.

Each JSON file is written as it is produced: a provider value that is an iterator becomes an
array written one record at a time, straight into the deflating zip entry; files are copied in
chunks. Nothing holds a whole kind, file or archive in memory.
"""

from __future__ import annotations

import io
import json
import shutil
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import IO, Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.serializers.json import DjangoJSONEncoder

from privacy import registry

CHUNK = 1024 * 1024
FILES_FOLDER = "attachments"


@dataclass(frozen=True)
class Summary:
    kinds: tuple[str, ...]
    files: int


def _dumps(value: Any) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)


def write_json(out: IO[str], data: Mapping[str, Any]) -> None:
    """Write ``data`` as one JSON object; iterator values as arrays, record by record."""
    out.write("{")
    for index, (key, value) in enumerate(data.items()):
        out.write(("," if index else "") + "\n  " + _dumps(key) + ": ")
        if isinstance(value, Iterator):
            _write_array(out, value)
        else:
            out.write(_dumps(value))
    out.write("\n}\n")


def _write_array(out: IO[str], records: Iterator[Any]) -> None:
    out.write("[")
    empty = True
    for record in records:
        out.write(("\n    " if empty else ",\n    ") + _dumps(record))
        empty = False
    out.write("]" if empty else "\n  ]")


def write(user: AbstractBaseUser, target: IO[bytes], *, manifest: Mapping[str, Any]) -> Summary:
    """Write the whole archive of ``user`` into ``target`` (a new, seekable binary file)."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        kinds = tuple(p.kind for p in registry.providers())
        for provider in registry.providers():
            _entry_json(zf, f"{provider.kind}.json", provider.export(user))
        files = sum(_copy_files(zf, provider, user) for provider in registry.providers())
        summary = Summary(kinds, files)
        contents = {"files": [f"{k}.json" for k in kinds], "attachments": files}
        _entry_json(zf, "manifest.json", {**manifest, **contents})
    return summary


def _entry_json(zf: zipfile.ZipFile, name: str, data: Mapping[str, Any]) -> None:
    with zf.open(name, "w", force_zip64=True) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8")
        write_json(text, data)
        text.flush()
        text.detach()  # the zip entry closes with its own ``with``


def _copy_files(zf: zipfile.ZipFile, provider: registry.Provider, user: AbstractBaseUser) -> int:
    copied = 0
    for path in provider.files(user):
        try:
            source = path.open("rb")
        except FileNotFoundError:  # purged since it was listed: nothing left to export
            continue
        with source, zf.open(f"{FILES_FOLDER}/{path.name}", "w", force_zip64=True) as entry:
            shutil.copyfileobj(source, entry, CHUNK)
        copied += 1
    return copied
