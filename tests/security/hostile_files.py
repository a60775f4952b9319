"""Hostile evidence files, built here rather than shipped: a GIF that is also an HTML page, and PDFs that run
JavaScript when opened (plainly, from a compressed object stream, behind #xx-escaped names)."""

from __future__ import annotations

import io
import zlib

from PIL import Image

SCRIPT = b"<script>alert(document.cookie)</script>"


def gif_html_polyglot() -> bytes:
    """A real 8x8 GIF carrying a page in its comment extension and after its trailer: a browser that sniffs it as
    HTML runs the script."""
    out = io.BytesIO()
    Image.new("P", (8, 8), 1).save(out, "GIF", comment=b"<html><body>" + SCRIPT)
    return out.getvalue() + b"<html><body>" + SCRIPT + b"</body></html>"


def _pdf(objects: list[bytes], trailer: bytes = b"/Root 1 0 R") -> bytes:
    """A PDF with a classic cross-reference table over the given objects (numbered from 1)."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d %s >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, trailer, xref)
    return bytes(out)


_PAGES = [b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
          b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>"]


def pdf_open_action_javascript() -> bytes:
    """Opening the file runs JavaScript: the catalog's /OpenAction is a JavaScript action."""
    return _pdf([b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>", *_PAGES,
                 b"<< /Type /Action /S /JavaScript /JS (app.alert\\('opened'\\)) >>"])


def pdf_obfuscated_names() -> bytes:
    """The same attack with every telltale name spelled with #xx escapes, which PDF readers decode."""
    return _pdf([b"<< /Type /Catalog /Pages 2 0 R /Op#65nAction 4 0 R >>", *_PAGES,
                 b"<< /Type /Action /S /J#61vaScript /#4A#53 (app.alert\\('opened'\\)) >>"])


def pdf_javascript_in_object_stream() -> bytes:
    """A PDF 1.5 file whose catalog and JavaScript action live only inside a FlateDecode object stream (found
    through a cross-reference stream): no telltale name appears in the file's bytes."""
    hidden = [(1, b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>"),
              (4, b"<< /Type /Action /S /JavaScript /JS (app.alert\\('hidden'\\)) >>")]
    index, body = b"", b""
    for number, text in hidden:
        index += b"%d %d " % (number, len(body))
        body += text + b"\n"
    packed = zlib.compress(index + body)
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}
    for number, text in ((2, _PAGES[0]), (3, _PAGES[1])):
        offsets[number] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (number, text)
    offsets[5] = len(out)
    out += b"5 0 obj\n<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>\nstream\n" % (
        len(hidden), len(index), len(packed))
    out += packed + b"\nendstream\nendobj\n"
    offsets[6] = len(out)
    rows = [b"\x00\x00\x00\x00\x00\xff\xff"]  # object 0: free
    for number in range(1, 7):
        if number in (1, 4):
            rows.append(b"\x02" + (5).to_bytes(4, "big") + [n for n, _ in hidden].index(number).to_bytes(2, "big"))
        else:
            rows.append(b"\x01" + offsets[number].to_bytes(4, "big") + b"\x00\x00")
    xref = zlib.compress(b"".join(rows))
    out += b"6 0 obj\n<< /Type /XRef /Size 7 /W [1 4 2] /Root 1 0 R /Filter /FlateDecode /Length %d >>\nstream\n" % (
        len(xref))
    out += xref + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % offsets[6]
    return bytes(out)


def png_bomb(side: int = 20_000) -> bytes:
    """A PNG of `side` x `side` black pixels (400 megapixels by default) that is a few dozen kilobytes on the
    wire: decoding it would take gigabytes of memory."""
    row = b"\x00" + bytes((side + 7) // 8)  # filter byte, then one bit per pixel
    packer = zlib.compressobj(9)
    data = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()

    def chunk(kind: bytes, body: bytes) -> bytes:
        return len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")

    header = side.to_bytes(4, "big") * 2 + bytes([1, 0, 0, 0, 0])  # 1-bit greyscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def pdf_catalog_hidden_in_image_data() -> bytes:
    """The catalog and its JavaScript sit inside an image stream's bytes (its /Length is exact), where only the
    cross-reference table's offset leads a reader: a scanner that skips image data never sees them."""
    hidden = (b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /JavaScript /JS (app.alert\\(1\\)) >> >>"
              b"\nendobj\n")
    data = b"\xff\xd8\xff\xe0" + bytes(64) + hidden + bytes(64) + b"\xff\xd9"
    image = b"<< /Type /XObject /Subtype /Image /Width 1 /Height 1 /Filter /DCTDecode /Length %d >>\nstream\n" % (
        len(data)) + data + b"\nendstream"
    pdf = bytearray(_pdf([b"<< /Type /Catalog /Pages 2 0 R >>", *_PAGES, image]))
    at = pdf.index(hidden)
    row = b"%010d 00000 n \n" % at  # object 1 now points into the image's data
    first = pdf.index(b"0000000000 65535 f \n") + 20
    pdf[first:first + 20] = row
    return bytes(pdf)
