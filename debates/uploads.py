"""Upload safety (INPUT-1, LIMIT-1): size capped while streaming, type decided by the bytes,
storage under server-chosen names outside any served path."""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler

# type -> (content type, stored extension, extensions the user's filename may have)
TYPES = {
    "pdf": ("application/pdf", "pdf", {"pdf"}),
    "png": ("image/png", "png", {"png"}),
    "jpeg": ("image/jpeg", "jpg", {"jpg", "jpeg"}),
    "txt": ("text/plain; charset=utf-8", "txt", {"txt", "text"}),
    "md": ("text/markdown; charset=utf-8", "md", {"md", "markdown"}),
}
MAGIC = [(b"%PDF-", "pdf"), (b"\x89PNG\r\n\x1a\n", "png"), (b"\xff\xd8\xff", "jpeg")]
# What browsers sniff as active content: a "text" file starting like this is refused.
HTML_SIGNS = (
    b"<!doctype",
    b"<html",
    b"<script",
    b"<svg",
    b"<iframe",
    b"<body",
    b"<head",
    b"<object",
    b"<embed",
    b"<?xml",
    b"<img",
    b"<a ",
    b"<style",
    b"<div",
    b"<meta",
)


class UploadTooLarge(RequestDataTooBig):
    """The file passed ``ARAGORA_UPLOAD_MAX_BYTES``."""


class UploadRefused(ValueError):
    """The bytes are not an allowed type, or do not match the filename."""


class MaxSizeUploadHandler(FileUploadHandler):
    """Counts every file byte as it streams in and stops the upload past the cap."""

    def __init__(self, request: Any = None) -> None:
        super().__init__(request)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > settings.UPLOAD_MAX_BYTES:
            raise UploadTooLarge("File too large.")
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def detect_type(head: bytes) -> str | None:
    """The allowed type the leading bytes prove, or None."""
    for signature, kind in MAGIC:
        if head.startswith(signature):
            return kind
    sample = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if b"\x00" in head or sample.startswith(HTML_SIGNS) or b"<script" in head.lower():
        return None
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the sample's end
            return None
    return "text"


def check(head: bytes, filename: str) -> tuple[str, str, str]:
    """(content type, stored extension, kind) for an allowed file, else ``UploadRefused``."""
    detected = detect_type(head)
    extension = Path(clean_filename(filename)).suffix.lower().lstrip(".")
    kinds = [k for k, (_, _, exts) in TYPES.items() if extension in exts]
    if detected == "text":
        kinds = [k for k in kinds if k in {"txt", "md"}]
    elif detected is not None:
        kinds = [k for k in kinds if k == detected]
    allowed = [k for k in kinds if k in settings.UPLOAD_TYPES]
    if detected is None or not allowed:
        raise UploadRefused("This file type is not allowed, or does not match its name.")
    content_type, stored_extension, _ = TYPES[allowed[0]]
    return content_type, stored_extension, allowed[0]


def clean_filename(name: str) -> str:
    """A display name: last path part of any separator, no control or odd characters."""
    name = unicodedata.normalize("NFKC", name or "")
    name = name.replace("\\", "/").split("/")[-1]
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '<>:"|?*\x00')
    name = name.strip(" .")
    return name[:255] or "file"


def storage_dir() -> Path:
    path = Path(settings.UPLOAD_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def stored_path(stored_name: str) -> Path:
    """The path of a stored file; refuses anything that would leave the storage folder."""
    base = storage_dir().resolve()
    path = (base / stored_name).resolve()
    if path.parent != base:
        raise UploadRefused("Bad stored name.")
    return path


def remove_stored(stored_names: Iterable[str]) -> None:
    """Unlink stored files (a missing one is no error), the storage folder resolved once: a
    purge removes thousands. A name that is not a plain file name there is refused, as by
    ``stored_path``."""
    base = storage_dir().resolve()
    for name in stored_names:
        path = base / name
        if not name or path.parent != base or name in {".", ".."}:
            raise UploadRefused("Bad stored name.")
        path.unlink(missing_ok=True)


def save(source: Any, stored_name: str) -> int:
    """Copy an uploaded file into storage; return its size."""
    path = stored_path(stored_name)
    size = 0
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        for chunk in source.chunks():
            size += len(chunk)
            out.write(chunk)
    return size
