"""Evidence files on disk: type checked by magic bytes against an allow-list, size limited per type, made safe
to open (images written anew from their pixels, PDFs with active content refused), stored content-addressed (the
SHA-256 of what is kept is the file name), so a retried upload or a rolled-back transaction leaves no second copy
and no name a caller chose ever reaches the file system."""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import AsyncIterator, BinaryIO

from bot.backend.errors import ApiError
from bot.backend.evidence_images import reencode
from bot.backend.evidence_pdf import check_pdf
from bot.backend.evidence_quota import EvidenceQuota

MB = 1024 * 1024
# content type -> largest accepted file
SIZE_LIMITS = {
    "image/jpeg": 10 * MB,
    "image/png": 10 * MB,
    "image/webp": 10 * MB,
    "image/gif": 10 * MB,
    "application/pdf": 10 * MB,
    "video/mp4": 50 * MB,
    "video/quicktime": 50 * MB,
}
MAX_UPLOAD = max(SIZE_LIMITS.values())
_SNIFF_BYTES = 16
_WRITE_BATCH = 1024 * 1024  # bytes collected on the event loop before a worker thread hashes and writes them


def sniff(head: bytes) -> str | None:
    """The content type the file's first bytes prove, or None for anything outside the allow-list."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head[4:8] == b"ftyp":
        return "video/quicktime" if head[8:12] == b"qt  " else "video/mp4"
    if head[4:8] in (b"moov", b"mdat", b"wide", b"free"):
        return "video/quicktime"
    return None


@dataclass(frozen=True)
class Upload:
    """A received file, checked and hashed, waiting in the store's spool until a transaction keeps it."""

    spool_path: Path
    content_type: str
    size: int
    sha256: str  # of the content kept (an image written anew differs from what was sent)
    filename: str
    received_sha256: str  # of the bytes as sent: what a retry with the same Idempotency-Key must repeat


class EvidenceStore:
    def __init__(self, root: Path, quota: EvidenceQuota = EvidenceQuota()) -> None:
        self.root = root
        self.quota = quota
        self.spool = root / "spool"
        self.spool.mkdir(parents=True, exist_ok=True)

    def path_of(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def keep(self, upload: Upload) -> None:
        """Move a spooled upload to its content address (a no-op if the same bytes are already there)."""
        target = self.path_of(upload.sha256)
        if target.exists():
            upload.spool_path.unlink(missing_ok=True)
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(upload.spool_path, target)

    def discard(self, upload: Upload) -> None:
        upload.spool_path.unlink(missing_ok=True)

    async def receive(self, chunks: AsyncIterator[bytes], declared_type: str | None, filename: str) -> Upload:
        """Spool a streamed body to disk while checking its type and size; raise 415/413 early.

        Type and size are checked on the event loop as the chunks arrive (cheap); hashing and writing happen on a
        worker thread, a batch of up to `_WRITE_BATCH` bytes at a time, so a 50 MB video on a slow disk never
        stalls the other requests. The batches are written one after another (each awaited), in order."""
        digest = hashlib.sha256()
        size = 0
        head = b""
        content_type: str | None = None
        limit = MAX_UPLOAD
        handle, name = await asyncio.to_thread(tempfile.mkstemp, dir=self.spool)
        path = Path(name)
        batch: list[bytes] = []
        batched = 0
        try:
            with os.fdopen(handle, "wb") as out:
                async for chunk in chunks:
                    if content_type is None:
                        head += chunk[: _SNIFF_BYTES - len(head)]
                        if len(head) >= _SNIFF_BYTES:
                            content_type, limit = _checked_type(head, declared_type)
                    size += len(chunk)
                    if size > limit:
                        # Read the rest (and drop it) before answering, up to the largest upload we ever take: a
                        # client still sending when the 413 comes would see a reset connection instead of it.
                        await _discard(chunks, MAX_UPLOAD - size)
                        raise too_large(content_type, limit)
                    batch.append(chunk)
                    batched += len(chunk)
                    if batched >= _WRITE_BATCH:
                        await asyncio.to_thread(_hash_and_write, digest, out, batch)
                        batch, batched = [], 0
                if size == 0:
                    raise ApiError(422, "empty_file", "The upload is empty.")
                if content_type is None:
                    content_type, limit = _checked_type(head, declared_type)
                await asyncio.to_thread(_hash_and_write, digest, out, batch)
            received = digest.hexdigest()
            return await asyncio.to_thread(self._made_safe, Upload(path, content_type, size, received, filename,
                                                                   received))
        except BaseException:
            path.unlink(missing_ok=True)
            raise

    def receive_bytes(self, data: bytes, declared_type: str | None, filename: str) -> Upload:
        """The same checks for a file that arrived whole (a multipart part). Blocking: call it off the loop."""
        if not data:
            raise ApiError(422, "empty_file", "The upload is empty.")
        content_type, limit = _checked_type(data[:_SNIFF_BYTES], declared_type)
        if len(data) > limit:
            raise too_large(content_type, limit)
        handle, name = tempfile.mkstemp(dir=self.spool)
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        try:
            received = hashlib.sha256(data).hexdigest()
            return self._made_safe(Upload(Path(name), content_type, len(data), received, filename, received))
        except BaseException:
            Path(name).unlink(missing_ok=True)
            raise

    def _made_safe(self, upload: Upload) -> Upload:
        """The upload as it will be kept: an image written anew (a new spool file, the received one removed), a
        PDF checked for active content, a video as it came. Blocking: call it off the loop."""
        if upload.content_type == "application/pdf":
            check_pdf(upload.spool_path.read_bytes())
            return upload
        if not upload.content_type.startswith("image/"):
            return upload
        handle, name = tempfile.mkstemp(dir=self.spool)
        os.close(handle)
        clean = Path(name)
        try:
            reencode(upload.spool_path, upload.content_type, clean)
            data = clean.read_bytes()
        except BaseException:
            clean.unlink(missing_ok=True)
            raise
        upload.spool_path.unlink(missing_ok=True)
        return Upload(clean, upload.content_type, len(data), hashlib.sha256(data).hexdigest(), upload.filename,
                      upload.received_sha256)


async def _discard(chunks: AsyncIterator[bytes], budget: int) -> None:
    async for chunk in chunks:
        budget -= len(chunk)
        if budget < 0:
            return


def _hash_and_write(digest: "hashlib._Hash", out: BinaryIO, batch: list[bytes]) -> None:
    for chunk in batch:
        digest.update(chunk)
        out.write(chunk)


def _checked_type(head: bytes, declared: str | None) -> tuple[str, int]:
    sniffed = sniff(head)
    if sniffed is None:
        raise ApiError(415, "unsupported_media_type",
                       "Only JPEG, PNG, WebP, GIF, MP4, QuickTime and PDF files are accepted.",
                       {"accepted": sorted(SIZE_LIMITS)})
    declared_base = (declared or "").split(";")[0].strip().lower()
    if declared_base and declared_base not in ("application/octet-stream", sniffed):
        raise ApiError(415, "content_type_mismatch", "The file's content doesn't match its declared type.",
                       {"declared": declared_base[:100], "detected": sniffed})
    return sniffed, SIZE_LIMITS[sniffed]


def too_large(content_type: str | None, limit: int) -> ApiError:
    return ApiError(413, "file_too_large", "The file is larger than we accept for its type.",
                    {"content_type": content_type, "limit_bytes": limit})
