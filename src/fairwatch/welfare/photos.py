"""Scene photos of incidents (a broken barrier, smoke, a blocked exit): checked by their content, cleaned, kept
in the data directory for their own retention class, never sent to receivers and never analysed.

`clean` decodes the upload with Pillow (JPEG, PNG or WebP, judged by the bytes, never by a file name or a
declared type), applies the EXIF orientation and re-encodes the pixels alone into a new image, so EXIF (GPS,
camera serial, time), XMP, ICC and text chunks are all dropped. `record` writes the row, a `system` entry in the
incident's log (photo id, hash, size) and the `photo-added` audit record in one transaction.
"""

from __future__ import annotations

import hashlib
import io
import os
import secrets
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from fairwatch.errors import Conflict, InvalidInput, NotFound, Problem
from fairwatch.events.validate import rfc3339
from fairwatch.model import AuditEntry
from fairwatch.store import LogEntry, Photo, PhotoTxn

# Pillow's format name -> (media type, file extension, the mode it is saved in).
FORMATS: dict[str, tuple[str, str]] = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}
EXTENSIONS = {media: ext for media, ext in FORMATS.values()}
MAX_PIXELS = 40_000_000  # a 40-megapixel photo; larger is refused before its pixels are decoded
FIELD = "photo"


@dataclass(frozen=True, slots=True)
class CleanImage:
    """An upload re-encoded without metadata."""

    data: bytes
    media_type: str
    width: int
    height: int

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def _refuse(value: object, message: str) -> InvalidInput:
    return InvalidInput([Problem(FIELD, value, message)], "invalid photo")


def clean(data: bytes) -> CleanImage:
    """The upload as a new image of the same format holding only its pixels; 422 naming `photo` otherwise."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=list(FORMATS)) as img:
                fmt = str(img.format)
                width, height = img.size
                if width * height > MAX_PIXELS:
                    raise _refuse(f"{width}x{height}", f"must be at most {MAX_PIXELS} pixels")
                img.load()
                upright = ImageOps.exif_transpose(img) or img
                pixels = _pixels(upright, fmt)
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refuse(
            f"{len(data)} bytes", "must be a JPEG, PNG or WebP image (judged by its content)"
        ) from None
    except (OSError, ValueError, SyntaxError):  # truncated or corrupt image data
        raise _refuse(f"{len(data)} bytes", "is not a readable JPEG, PNG or WebP image") from None
    out = io.BytesIO()
    options: dict[str, object] = {"quality": 90} if fmt in ("JPEG", "WEBP") else {}
    pixels.save(out, fmt, **options)
    media_type = FORMATS[fmt][0]
    return CleanImage(out.getvalue(), media_type, pixels.width, pixels.height)


def _pixels(img: Image.Image, fmt: str) -> Image.Image:
    """A fresh image with the pixels of `img` and nothing else (no info, EXIF, ICC profile or text)."""
    keep_alpha = fmt != "JPEG" and ("A" in img.getbands() or "transparency" in img.info)
    mode = "RGBA" if keep_alpha else ("L" if img.mode in ("1", "L", "I;16") and fmt != "WEBP" else "RGB")
    converted = img.convert(mode)
    return Image.frombytes(mode, converted.size, converted.tobytes())


class PhotoFiles:
    """The photo directory (`<data>/photos`): one file per photo, `<id>.<ext>`, written atomically."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, photo: Photo) -> Path:
        return self.root / f"{photo.id}.{EXTENSIONS[photo.media_type]}"

    def stage(self, image: CleanImage) -> Path:
        """Write the image under a temporary name (durable) before its row is committed."""
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.root / f".upload-{secrets.token_hex(8)}"
        with open(tmp, "wb") as f:
            f.write(image.data)
            f.flush()
            os.fsync(f.fileno())
        return tmp

    def keep(self, staged: Path, photo: Photo) -> None:
        """After the commit: give the staged file its photo's name."""
        os.replace(staged, self.path(photo))

    def discard(self, staged: Path) -> None:
        staged.unlink(missing_ok=True)

    def sweep_staged(self) -> int:
        """Delete uploads staged by a process that stopped before their commit (call at start, when no upload is
        in flight); returns how many there were."""
        found = list(self.root.glob(".upload-*")) if self.root.is_dir() else []
        for staged in found:
            staged.unlink(missing_ok=True)
        return len(found)

    def read(self, photo: Photo) -> bytes:
        try:
            return self.path(photo).read_bytes()
        except FileNotFoundError:
            raise NotFound(f"photo {photo.id}: its file is gone (purged)") from None

    def remove(self, photos: Iterable[Photo]) -> int:
        """Delete the files of purged photos; returns how many were there."""
        removed = 0
        for photo in photos:
            try:
                self.path(photo).unlink()
                removed += 1
            except FileNotFoundError:
                pass
        return removed


def record(
    txn: PhotoTxn, actor: str, incident_id: int, image: CleanImage, now: float
) -> tuple[Photo, LogEntry]:
    """The photo's row, a `system` log entry naming it (id, hash, size), and their audit records (`photo-added`,
    and `log-entry-added` as for every entry of the log)."""
    incident = txn.get_incident(incident_id)
    if incident is None:
        raise NotFound(f"incident {incident_id} not found")
    if incident.state == "closed":
        raise Conflict(
            "cannot add a photo to an incident that is closed; allowed actions: reopen", "closed", ["reopen"]
        )
    photo = Photo(
        incident_id, image.sha256, len(image.data), image.media_type, image.width, image.height, actor, now
    )
    photo = replace(photo, id=txn.insert_photo(photo))
    text = f"photo {photo.id} added: sha256 {photo.sha256}, {photo.size} bytes, {photo.media_type}"
    entry = LogEntry(incident_id, "system", text, actor, now, now)
    entry = replace(entry, id=txn.insert_log_entry(entry))
    logged = {
        "entry": entry.id, "kind": entry.kind, "occurred_at": rfc3339(now),
        "text_sha256": hashlib.sha256(text.encode()).hexdigest(), "corrects": None,
    }  # fmt: skip
    txn.append_audit(AuditEntry(now, actor, "log-entry-added", f"incident:{incident_id}", logged))
    details = {
        "photo": photo.id, "sha256": photo.sha256, "size": photo.size, "media_type": photo.media_type,
        "entry": entry.id,
    }  # fmt: skip
    txn.append_audit(AuditEntry(now, actor, "photo-added", f"incident:{incident_id}", details))
    return photo, entry
