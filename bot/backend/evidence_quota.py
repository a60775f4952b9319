"""How much evidence one seller may upload in a rolling period, counted from the evidence rows themselves (no
counter to drift, and every backend replica sees the same numbers)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.backend.errors import ApiError
from bot.backend.models import Evidence, EvidenceKind, Seller

if TYPE_CHECKING:  # pragma: no cover
    from bot.settings import Settings

MB = 1024 * 1024


@dataclass(frozen=True)
class EvidenceQuota:
    """Files and bytes one seller may upload per `hours` (settings: ALEX_EVIDENCE_QUOTA_*)."""

    files: int = 200
    bytes: int = 1024 * MB
    hours: int = 24

    @classmethod
    def of(cls, settings: "Settings") -> "EvidenceQuota":
        return cls(settings.evidence_quota_files, settings.evidence_quota_bytes, settings.evidence_quota_hours)

    def check(self, session: Session, seller_id: str, size: int, now: datetime) -> None:
        """Raise 429 `evidence_quota_exceeded` if a file of `size` bytes would take the seller over the quota.

        The seller's row is locked first (PostgreSQL), so two uploads at once can't both take the last place."""
        session.execute(select(Seller.id).where(Seller.id == seller_id).with_for_update())
        files, used = session.execute(
            select(func.count(), func.coalesce(func.sum(Evidence.size_bytes), 0)).where(
                Evidence.seller_id == seller_id, Evidence.kind == EvidenceKind.FILE,
                Evidence.created_at > now - timedelta(hours=self.hours))
        ).one()
        if files + 1 > self.files or used + size > self.bytes:
            raise ApiError(429, "evidence_quota_exceeded",
                           f"You've sent as many files as we can keep in {self.hours} hours ({self.files} files or "
                           f"{self.bytes // MB} MB in all). Please try again later, or send links to your photos "
                           "instead.",
                           {"limit_files": self.files, "limit_bytes": self.bytes, "period_hours": self.hours,
                            "used_files": files, "used_bytes": int(used)})
