"""Evidence uploads: type by magic bytes against an allow-list, size limits per type, images kept as clean
pixels, PDFs without active content, content-addressed storage, one seller's files invisible to another."""

from __future__ import annotations

import hashlib
import io

from PIL import Image

from bot.backend.evidence_store import SIZE_LIMITS
from tests.backend.client import Backend
from tests.images import JPEG, PNG
MP4 = b"\x00\x00\x00\x18ftypmp42" + bytes(500)
PDF = b"%PDF-1.7\n" + b"1 0 obj\n" * 20


def upload(backend: Backend, seller: str, data: bytes, content_type: str, filename: str = "photo.png",
           purpose: str = "product_media"):
    return backend.call("POST", f"/v1/sellers/{seller}/evidence?purpose={purpose}", data=data,
                        headers={"Content-Type": content_type, "X-Filename": filename})


def test_an_image_is_stored_and_served_back_byte_for_byte(backend: Backend) -> None:
    reply = upload(backend, "S1001", PNG, "image/png")
    assert reply.status_code == 201
    item = reply.json()
    assert (item["kind"], item["content_type"], item["size"], item["purpose"]) == ("file", "image/png", len(PNG),
                                                                                   "product_media")
    assert item["sha256"] == hashlib.sha256(PNG).hexdigest()
    content = backend.get(f"/v1/sellers/S1001/evidence/{item['id']}/content")
    assert content.status_code == 200 and content.content == PNG
    assert content.headers["Content-Type"] == "image/png"
    assert content.headers["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in content.headers["Content-Disposition"]


def test_each_allowed_type_is_recognised_by_its_first_bytes(backend: Backend) -> None:
    for data, declared, detected in ((JPEG, "image/jpeg", "image/jpeg"), (MP4, "video/mp4", "video/mp4"),
                                     (PDF, "application/octet-stream", "application/pdf")):
        reply = upload(backend, "S1001", data, declared, "file.bin")
        assert reply.status_code == 201, reply.text
        assert reply.json()["content_type"] == detected


def test_a_file_that_is_not_what_it_claims_or_not_allowed_is_415(backend: Backend) -> None:
    lie = upload(backend, "S1001", b"MZ\x90\x00 this is an exe" + bytes(32), "image/png")
    assert lie.status_code == 415 and lie.json()["error"]["code"] == "unsupported_media_type"
    mismatch = upload(backend, "S1001", PNG, "image/jpeg")
    assert mismatch.status_code == 415 and mismatch.json()["error"]["code"] == "content_type_mismatch"
    html = upload(backend, "S1001", b"<html><script>alert(1)</script></html>", "text/html")
    assert html.status_code == 415


def test_an_image_over_its_size_limit_is_413_while_a_video_may_be_larger(backend: Backend) -> None:
    limit = SIZE_LIMITS["image/png"]
    too_big = upload(backend, "S1001", PNG + bytes(limit), "image/png")
    assert too_big.status_code == 413
    assert too_big.json()["error"]["details"] == {"content_type": "image/png", "limit_bytes": limit}
    video = upload(backend, "S1001", MP4 + bytes(limit), "video/mp4", "clip.mp4")
    assert video.status_code == 201


def test_a_large_file_streamed_in_odd_chunks_is_stored_byte_for_byte(backend: Backend) -> None:
    data = MP4 + hashlib.sha256(b"seed").digest() * 110_000  # about 3.5 MB: several write batches

    def chunks():
        for start in range(0, len(data), 100_003):
            yield data[start:start + 100_003]

    reply = backend.call("POST", "/v1/sellers/S1001/evidence", data=chunks(),  # chunked transfer encoding
                         headers={"Content-Type": "video/mp4", "X-Filename": "clip.mp4"})
    assert reply.status_code == 201, reply.text
    item = reply.json()
    assert (item["size"], item["sha256"]) == (len(data), hashlib.sha256(data).hexdigest())
    assert backend.get(f"/v1/sellers/S1001/evidence/{item['id']}/content").content == data


def test_an_empty_upload_is_refused(backend: Backend) -> None:
    reply = upload(backend, "S1001", b"", "image/png")
    assert reply.status_code == 422 and reply.json()["error"]["code"] == "empty_file"


def test_multipart_uploads_work_too(backend: Backend) -> None:
    boundary = "alexboundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"box.jpg\"\r\n"
            "Content-Type: image/jpeg\r\n\r\n").encode() + JPEG + f"\r\n--{boundary}--\r\n".encode()
    reply = backend.call("POST", "/v1/sellers/S1001/evidence", data=body,
                         headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert reply.status_code == 201, reply.text
    assert (reply.json()["filename"], reply.json()["content_type"]) == ("box.jpg", "image/jpeg")
    assert reply.json()["sha256"] == hashlib.sha256(JPEG).hexdigest()  # every byte arrived (JPEG is a fixed point)


def test_another_sellers_evidence_answers_like_unknown_evidence(backend: Backend) -> None:
    item = upload(backend, "S1001", PNG, "image/png").json()
    for suffix in ("", "/content"):
        foreign = backend.get(f"/v1/sellers/S1002/evidence/{item['id']}{suffix}")
        unknown = backend.get(f"/v1/sellers/S1002/evidence/ev_{'y' * 22}{suffix}")
        assert foreign.status_code == unknown.status_code == 404
        assert foreign.content == unknown.content


def test_a_repeated_upload_with_the_same_key_replays_and_stores_one_copy(backend: Backend) -> None:
    headers = {"Content-Type": "image/png", "X-Filename": "same.png", "Idempotency-Key": "upload-same-key-1"}
    first = backend.call("POST", "/v1/sellers/S1002/evidence", data=PNG, headers=headers, idempotency_key=None)
    again = backend.call("POST", "/v1/sellers/S1002/evidence", data=PNG, headers=headers, idempotency_key=None)
    assert first.content == again.content and again.headers.get("Idempotent-Replayed") == "true"
    other = backend.call("POST", "/v1/sellers/S1002/evidence", data=JPEG,
                         headers={**headers, "Content-Type": "image/jpeg"}, idempotency_key=None)
    assert other.status_code == 422 and other.json()["error"]["code"] == "idempotency_key_reused"


def test_links_and_notes_are_evidence_too(backend: Backend) -> None:
    link = backend.post("/v1/sellers/S1001/evidence/links", {"url": "https://youtu.be/abc", "media": "video",
                                                             "purpose": "product_media"})
    assert link.status_code == 201 and link.json()["kind"] == "link"
    bad = backend.post("/v1/sellers/S1001/evidence/links", {"url": "javascript:alert(1)", "media": "page",
                                                            "purpose": "other"})
    assert bad.status_code == 422
    note = backend.post("/v1/sellers/S1001/evidence/notes", {"text": "Buyer wrote: broken", "purpose": "buyer_complaint"})
    assert backend.get(f"/v1/sellers/S1001/evidence/{note.json()['id']}").json()["text"] == "Buyer wrote: broken"


def test_a_file_uploaded_as_other_counts_as_proof_once_its_purpose_is_set(backend: Backend) -> None:
    seller = backend.new_seller()
    order = backend.new_order(seller, "delivered")
    screenshot = upload(backend, seller, PNG, "image/png", "complaint.png", purpose="other").json()
    photo = upload(backend, seller, JPEG, "image/jpeg", "broken.jpg", purpose="other").json()
    body = backend.dispute_body(seller, order["number"], reason="damaged_product",
                                evidence_ids=[screenshot["id"], photo["id"]])
    refused = backend.post(f"/v1/sellers/{seller}/disputes", body)
    assert refused.status_code == 422
    assert refused.json()["error"]["details"] == {"missing": ["buyer_complaint", "product_media"]}
    for item, purpose in ((screenshot, "buyer_complaint"), (photo, "product_media")):
        changed = backend.patch(f"/v1/sellers/{seller}/evidence/{item['id']}", {"purpose": purpose})
        assert changed.status_code == 200 and changed.json() == {**item, "purpose": purpose}
    assert backend.get(f"/v1/sellers/{seller}/evidence/{photo['id']}").json()["purpose"] == "product_media"
    opened = backend.post(f"/v1/sellers/{seller}/disputes", body)
    assert opened.status_code == 201, opened.text
    assert {e["id"]: e["purpose"] for e in opened.json()["evidence"]} == {
        screenshot["id"]: "buyer_complaint", photo["id"]: "product_media"}


def test_setting_a_purpose_is_idempotent_and_another_sellers_evidence_answers_like_unknown(backend: Backend) -> None:
    item = upload(backend, "S1001", PNG, "image/png", purpose="other").json()
    path = f"/v1/sellers/S1001/evidence/{item['id']}"
    first = backend.patch(path, {"purpose": "parcel_media"}, idempotency_key="purpose-key-1")
    replay = backend.patch(path, {"purpose": "parcel_media"}, idempotency_key="purpose-key-1")
    assert first.content == replay.content and replay.headers.get("Idempotent-Replayed") == "true"
    again = backend.patch(path, {"purpose": "parcel_media"})  # a new key, the same purpose: the same answer
    assert again.status_code == 200 and again.content == first.content
    reused = backend.patch(path, {"purpose": "other"}, idempotency_key="purpose-key-1")
    assert reused.status_code == 422 and reused.json()["error"]["code"] == "idempotency_key_reused"
    foreign = backend.patch(f"/v1/sellers/S1002/evidence/{item['id']}", {"purpose": "other"})
    unknown = backend.patch(f"/v1/sellers/S1002/evidence/ev_{'z' * 22}", {"purpose": "other"})
    assert foreign.status_code == unknown.status_code == 404
    assert foreign.content == unknown.content and foreign.json()["error"]["code"] == "evidence_not_found"
    assert backend.get(path).json()["purpose"] == "parcel_media"
    bad = backend.patch(path, {"purpose": "anything"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "validation_failed"


def stored_image(backend: Backend, reply) -> Image.Image:  # type: ignore[no-untyped-def]
    assert reply.status_code == 201, reply.text
    content = backend.get(f"/v1/sellers/S1001/evidence/{reply.json()['id']}/content").content
    assert hashlib.sha256(content).hexdigest() == reply.json()["sha256"] and len(content) == reply.json()["size"]
    return Image.open(io.BytesIO(content))


def test_a_photo_is_kept_upright_without_its_exif(backend: Backend) -> None:
    """Sideways pixels tagged 'rotate 90' (EXIF orientation 6) with a GPS position: kept upright, with no EXIF."""
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: the camera was turned, show it rotated 90 degrees clockwise
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)}  # GPS: where the seller lives
    out = io.BytesIO()
    Image.new("RGB", (40, 20), (200, 30, 30)).save(out, "JPEG", exif=exif, quality=92)
    assert b"Exif" in out.getvalue()
    image = stored_image(backend, upload(backend, "S1001", out.getvalue(), "image/jpeg", "photo.jpg"))
    assert (image.format, image.size) == ("JPEG", (20, 40))
    assert not image.getexif() and "exif" not in image.info


def test_an_animated_gif_keeps_its_frames(backend: Backend) -> None:
    frames = [Image.new("RGB", (10, 10), colour) for colour in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=[100, 200, 300], loop=0)
    image = stored_image(backend, upload(backend, "S1001", out.getvalue(), "image/gif", "clip.gif"))
    durations = [image.seek(n) or image.info["duration"] for n in range(image.n_frames)]  # type: ignore[func-returns-value]
    assert durations == [100, 200, 300]


def test_a_file_that_claims_to_be_an_image_but_does_not_decode_is_refused(backend: Backend) -> None:
    for broken in (b"\x89PNG\r\n\x1a\n" + bytes(200), PNG[: len(PNG) // 2], JPEG[:40]):
        reply = upload(backend, "S1001", broken, "image/png" if broken.startswith(b"\x89") else "image/jpeg")
        assert reply.status_code == 422 and reply.json()["error"]["code"] == "image_unreadable", reply.text


def test_a_pdf_without_active_content_is_kept_as_it_came(backend: Backend) -> None:
    """A page to open at (LaTeX's hyperref writes `/OpenAction [page /Fit]`) runs nothing."""
    pdf = PDF + b"2 0 obj << /Type /Catalog /OpenAction [3 0 R /Fit] >> endobj\n%%EOF\n"
    reply = upload(backend, "S1001", pdf, "application/pdf", "invoice.pdf")
    assert reply.status_code == 201 and reply.json()["sha256"] == hashlib.sha256(pdf).hexdigest(), reply.text


def test_a_pdf_the_scanner_cannot_read_is_refused_not_guessed(backend: Backend) -> None:
    """An object stream in an encoding the scanner doesn't decode could hide anything."""
    pdf = b"%PDF-1.7\n5 0 obj << /Type /ObjStm /N 1 /First 4 /Filter /ASCIIHexDecode /Length 6 >>\nstream\n" \
          b"2f4a53\nendstream\nendobj\n%%EOF\n"
    reply = upload(backend, "S1001", pdf, "application/pdf", "invoice.pdf")
    assert reply.status_code == 422 and reply.json()["error"]["code"] == "pdf_uncheckable", reply.text
