"""Writes the document fixtures of the extraction and ingest tests, so every binary file in them is reproducible:

  test/fixtures/docs/   one resume as .txt, .pdf, .docx and .html (the same text: extraction must find it)
  test/fixtures/bad/    the bad-input corpus (see test/fixtures/bad/README.md for what each file is and the status
                        or error it must get)

Standard library only; deterministic output.

    python3 tools/make_document_fixtures.py
"""

from __future__ import annotations

import random
import zipfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "test" / "fixtures" / "docs"
BAD = ROOT / "test" / "fixtures" / "bad"

RESUME = [
    "Ada Lovelace - Senior Data Engineer",
    "Eight years building streaming pipelines with Kafka, Spark and PostgreSQL.",
    "Led the migration of a 40 TB warehouse to a lakehouse on S3; cut nightly batch time by 70 percent.",
    "Skills: Python, SQL, Scala, Airflow, dbt, Terraform, Kubernetes.",
]


def pdf(objects: list[bytes]) -> bytes:
    """A PDF with the given objects (numbered from 1; object 1 is the catalog) and a correct xref table."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def stream(data: bytes, extra: bytes = b"", compress: bool = False) -> bytes:
    if compress:
        data = zlib.compress(data, 9)
        extra += b" /Filter /FlateDecode"
    return b"<< /Length %d%s >>\nstream\n" % (len(data), extra) + data + b"\nendstream"


def text_page_pdf(lines: list[str], font: bytes = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>") -> bytes:
    content = b"BT /F1 11 Tf 50 750 Td 14 TL\n" + b"".join(
        b"(%s) Tj T*\n" % line.replace("(", r"\(").replace(")", r"\)").encode("latin-1") for line in lines
    ) + b"ET"
    return pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        stream(content),
        font,
    ])


def docx(document_xml: bytes, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    from io import BytesIO

    content_types = (
        b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        b'<Default Extension="xml" ContentType="application/xml"/>'
        b'<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
        b"</Types>"
    )
    rels = (
        b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>'
        b"</Relationships>"
    )
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in (("[Content_Types].xml", content_types), ("_rels/.rels", rels), ("word/document.xml", document_xml)):
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = compression
            archive.writestr(info, data)
    return buffer.getvalue()


def document_xml(paragraphs: list[str]) -> bytes:
    body = "".join(f"<w:p><w:r><w:t>{p}</w:t></w:r></w:p>" for p in paragraphs)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        f"<w:body>{body}</w:body></w:document>"
    ).encode()


def main() -> None:
    DOCS.mkdir(parents=True, exist_ok=True)
    BAD.mkdir(parents=True, exist_ok=True)
    rng = random.Random(4367)

    # The good set: one resume in four formats.
    (DOCS / "resume.txt").write_text("\n".join(RESUME) + "\n")
    (DOCS / "resume.pdf").write_bytes(text_page_pdf(RESUME))
    (DOCS / "resume.docx").write_bytes(docx(document_xml(RESUME)))
    (DOCS / "resume.html").write_text(
        "<!DOCTYPE html><html><head><title>Resume</title><style>body{font:11pt sans-serif}</style>"
        "<script>document.title = 'not text'</script></head><body>"
        + "".join(f"<p>{line}</p>" for line in RESUME)
        + "</body></html>\n"
    )

    # The bad set.
    (BAD / "empty.txt").write_bytes(b"")
    whole = text_page_pdf(RESUME)
    (BAD / "truncated.pdf").write_bytes(whole[: len(whole) // 3])
    # A page whose content stream inflates to ~400 MB of text operators: the parser grinds until the wall clock
    # stops it (the compressed file is small).
    operators = b"BT /F1 11 Tf 50 750 Td (loop) Tj ET\n" * (400 * 1024 * 1024 // 36)
    (BAD / "hang.pdf").write_bytes(pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        stream(operators, compress=True),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]))
    # CVE-2024-4367: a FontMatrix entry that pdf.js < 4.2.67 pasted into generated JavaScript. The payload writes a
    # marker file; the test proves it never appears.
    payload = (
        b"(1\\); process.getBuiltinModule('fs').writeFileSync(process.env.SHORTLIST_PWNED_MARKER || '/tmp/shortlist-pwned', 'pwned'\\); //)"
    )
    (BAD / "fontmatrix-cve-2024-4367.pdf").write_bytes(pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        stream(b"BT /F1 11 Tf 50 750 Td (Resume with a hostile font) Tj ET"),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Evil /FontMatrix [0.001 0 0 0.001 0 " + payload + b"] "
        b"/FirstChar 32 /LastChar 126 /FontDescriptor 6 0 R >>",
        b"<< /Type /FontDescriptor /FontName /Evil /Flags 32 /FontBBox [0 0 1000 1000] /ItalicAngle 0 /Ascent 800 "
        b"/Descent -200 /CapHeight 700 /StemV 80 >>",
    ]))
    # A scanned page: one image, no text.
    pixels = bytes(rng.randrange(256) for _ in range(64 * 64))
    (BAD / "image-only.pdf").write_bytes(pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /Im1 5 0 R >> >> /Contents 4 0 R >>",
        stream(b"q 500 0 0 700 50 50 cm /Im1 Do Q"),
        stream(pixels, b" /Type /XObject /Subtype /Image /Width 64 /Height 64 /ColorSpace /DeviceGray /BitsPerComponent 8"),
    ]))
    # A DOCX whose document.xml inflates to 512 MB (the archive is ~500 KB).
    bomb = document_xml(["x"]).replace(b"</w:body>", b"<!--" + b"A" * (512 * 1024 * 1024) + b"--></w:body>")
    (BAD / "bomb.docx").write_bytes(docx(bomb))
    # A PDF named .docx: sniffed by content, extracted as a PDF.
    (BAD / "pdf-named.docx").write_bytes(text_page_pdf(RESUME))
    (BAD / "random.bin").write_bytes(bytes(rng.randrange(256) for _ in range(64 * 1024)))
    # Latin-1 bytes, not UTF-8: detected and decoded.
    (BAD / "latin1.txt").write_bytes("Curriculum vitae: José Müller, ingénieur logiciel à Zürich, façade café.\n".encode("latin-1") * 4)
    # UTF-16 with a byte order mark.
    (BAD / "utf16.txt").write_bytes(b"\xff\xfe" + "Résumé in UTF-16: Zoë Ångström, data engineer.\n".encode("utf-16-le"))
    # NULs and control characters inside otherwise good text.
    (BAD / "nul.txt").write_bytes(b"Grace\x00 Hopper\x07 - compiler\x1b engineer\x00\n" * 8)
    # Ten times the 8,192-token model context: chunked, never truncated. The last line is a marker the test moves.
    words = ["pipeline", "kubernetes", "postgres", "latency", "mentoring", "roadmap", "budget", "hiring"]
    body = " ".join(rng.choice(words) for _ in range(82_000))
    (BAD / "long.txt").write_text(body + "\nLAST LINE: staff engineer\n")


if __name__ == "__main__":
    main()
