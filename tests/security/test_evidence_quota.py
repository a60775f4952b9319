"""One seller can't fill the evidence store: files and bytes per seller are capped over a rolling period, with a
clear refusal (429 `evidence_quota_exceeded`); other sellers are unaffected."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Iterator

import pytest
import requests

from bot.stack import Stack
from tests.backend.client import Backend
from tests.conftest import make_settings

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
MP4 = b"\x00\x00\x00\x18ftypmp42" + bytes(1024 * 1024)


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    """A backend of its own, with a small quota."""
    state: Path = tmp_path_factory.mktemp("quota")
    settings = replace(make_settings(state), evidence_quota_files=3, evidence_quota_bytes=2 * 1024 * 1024,
                       evidence_quota_hours=24)
    with Stack(settings, None, state / "logs", only=("backend",)):
        yield Backend(settings, "sqlite", settings.backend_db_url)


def upload(backend: Backend, seller: str, data: bytes, content_type: str) -> requests.Response:
    return backend.call("POST", f"/v1/sellers/{seller}/evidence", data=data,
                        headers={"Content-Type": content_type, "X-Filename": "proof"})


def refused_for_quota(reply: requests.Response) -> bool:
    return reply.status_code == 429 and reply.json()["error"]["code"] == "evidence_quota_exceeded"


def test_a_seller_over_the_file_quota_is_refused_and_others_are_not(backend: Backend) -> None:
    greedy, other = backend.new_seller(), backend.new_seller()
    assert [upload(backend, greedy, PDF + b"%" + bytes([n]), "application/pdf").status_code
            for n in range(3)] == [201, 201, 201]
    refused = upload(backend, greedy, PDF, "application/pdf")
    assert refused_for_quota(refused), refused.text
    assert "files" in refused.json()["error"]["message"]
    assert upload(backend, other, PDF, "application/pdf").status_code == 201


def test_a_seller_over_the_byte_quota_is_refused(backend: Backend) -> None:
    seller = backend.new_seller()
    assert upload(backend, seller, MP4, "video/mp4").status_code == 201
    refused = upload(backend, seller, MP4 + b"more", "video/mp4")
    assert refused_for_quota(refused), refused.text
    assert upload(backend, seller, PDF, "application/pdf").status_code == 201  # what still fits is taken
