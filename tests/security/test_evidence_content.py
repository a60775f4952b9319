"""Evidence files are served back to agents' browsers: what the backend keeps must be a plain image or a PDF that
runs nothing. A GIF that is also an HTML page comes out as a GIF only; PDFs with JavaScript or other active
content are refused however the names are hidden; an image bomb is refused before it is decoded."""

from __future__ import annotations

import io
from typing import Iterator

import pytest
import requests
from PIL import Image

from bot.settings import Settings
from tests.backend.client import Backend
from tests.security import hostile_files


@pytest.fixture(scope="module")
def backend(backend_only: Settings) -> Iterator[Backend]:
    yield Backend(backend_only, "sqlite", backend_only.backend_db_url)


def upload(backend: Backend, data: bytes, content_type: str, filename: str) -> tuple[str, requests.Response]:
    """(the fresh seller who uploaded, the backend's answer)"""
    seller = backend.new_seller()
    return seller, backend.call("POST", f"/v1/sellers/{seller}/evidence?purpose=product_media", data=data,
                                headers={"Content-Type": content_type, "X-Filename": filename})


def test_a_gif_html_polyglot_is_stored_as_a_plain_gif_without_the_page(backend: Backend) -> None:
    seller, reply = upload(backend, hostile_files.gif_html_polyglot(), "image/gif", "parcel.gif")
    assert reply.status_code == 201, reply.text
    kept = backend.get(f"/v1/sellers/{seller}/evidence/{reply.json()['id']}/content").content
    assert hostile_files.SCRIPT not in kept and b"<html" not in kept
    with Image.open(io.BytesIO(kept)) as image:
        assert (image.format, image.size) == ("GIF", (8, 8))


@pytest.mark.parametrize("build", [hostile_files.pdf_open_action_javascript, hostile_files.pdf_obfuscated_names,
                                   hostile_files.pdf_javascript_in_object_stream,
                                   hostile_files.pdf_catalog_hidden_in_image_data],
                         ids=["open-action", "obfuscated-names", "object-stream", "hidden-in-image-data"])
def test_a_pdf_that_runs_javascript_is_refused(backend: Backend, build) -> None:  # type: ignore[no-untyped-def]
    _, reply = upload(backend, build(), "application/pdf", "invoice.pdf")
    assert reply.status_code == 422, reply.text
    assert reply.json()["error"]["code"] == "pdf_active_content"


def test_an_image_bomb_is_refused_with_a_clear_answer(backend: Backend) -> None:
    _, reply = upload(backend, hostile_files.png_bomb(), "image/png", "photo.png")
    assert reply.status_code == 413, reply.text
    error = reply.json()["error"]
    assert error["code"] == "image_too_large" and "pixels" in error["message"]
