"""Evidence a seller gives: uploaded files (stored on disk, content-addressed), links, and notes."""

from __future__ import annotations

import enum

from sqlalchemy import BigInteger, CheckConstraint, Column, DateTime, ForeignKey, String, Text
from sqlalchemy.orm import relationship

from bot.backend.models.base import Base, db_enum, utcnow


class EvidenceKind(str, enum.Enum):
    FILE = "file"
    LINK = "link"
    NOTE = "note"


class EvidencePurpose(str, enum.Enum):
    BUYER_COMPLAINT = "buyer_complaint"  # the buyer's email or message asking for a refund or resend
    PRODUCT_MEDIA = "product_media"  # photos or video of a damaged or wrong product
    PARCEL_MEDIA = "parcel_media"
    STORE_IMAGE = "store_image"  # for a return link (seed 000 §4.2)
    OTHER = "other"


class LinkMedia(str, enum.Enum):
    IMAGE = "image"
    VIDEO = "video"
    DOCUMENT = "document"
    PAGE = "page"


class Evidence(Base):
    __tablename__ = "evidence"
    __table_args__ = (
        CheckConstraint(
            "(kind = 'file') = (sha256 IS NOT NULL AND size_bytes IS NOT NULL AND content_type IS NOT NULL)",
            name="files_have_content",
        ),
        CheckConstraint("(kind = 'link') = (url IS NOT NULL AND media IS NOT NULL)", name="links_have_url"),
        CheckConstraint("(kind = 'note') = (text IS NOT NULL)", name="notes_have_text"),
        CheckConstraint("size_bytes IS NULL OR size_bytes > 0", name="files_not_empty"),
    )

    id = Column(String(40), primary_key=True)  # random and unguessable: `ev_` + 22 url-safe characters
    seller_id = Column(String(32), ForeignKey("sellers.id"), nullable=False, index=True)
    kind = Column(db_enum(EvidenceKind), nullable=False)
    purpose = Column(db_enum(EvidencePurpose), nullable=False)
    content_type = Column(String(100))
    size_bytes = Column(BigInteger)
    sha256 = Column(String(64))  # also the file's name in the evidence store
    filename = Column(String(200))
    url = Column(String(2000))
    media = Column(db_enum(LinkMedia))
    text = Column(Text)
    created_at = Column(DateTime, nullable=False, default=utcnow)

    seller = relationship("Seller")
