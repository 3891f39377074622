"""Screenshots of files in the UI for docs/ui.md, taken at desktop width (run by hand, not a test):

    PYTHONPATH=src python tests/ui/screenshots.py

Starts the demo stack (platform and bots as processes), files a purchase request with a quote
and a photo as Erin, and saves ``docs/img/task-new-files.png`` and ``docs/img/task-files.png``.
"""

from __future__ import annotations

from pathlib import Path

from browser_kit import WAIT_MS, chromium, shot  # next to this script: on its path when run

from pyrus_bots.server.demo.runner import DemoOptions, DemoStack


def one_page_pdf(text: str) -> bytes:
    """A minimal valid PDF of one page with one line of text (for the preview)."""
    stream = f"BT /F1 24 Tf 60 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


QUOTE = one_page_pdf("Quote 2291: one standing desk, 900.00")


def main() -> None:
    photo = (Path(__file__).parents[2] / "docs" / "img" / "tasks.png").read_bytes()
    with DemoStack(DemoOptions(sample_tasks=False, quiet=True)) as stack, chromium() as browser:
        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        page.set_default_timeout(WAIT_MS)
        page.goto(stack.ui_url + "login")
        page.get_by_label("E-mail").fill("erin@demo.test")
        page.get_by_label("Password").fill("erin-demo-password")
        page.get_by_role("button", name="Sign in").first.click()
        page.goto(stack.ui_url + "tasks/new?form=321")
        page.get_by_label("Item", exact=True).fill("Standing desks")
        page.get_by_label("Amount").fill("900")
        page.get_by_label("Article, row 1").fill("Desk frame")
        page.get_by_label("Quantity, row 1").fill("1")
        page.get_by_label("Price, row 1").fill("900")
        page.get_by_label("Quote").set_input_files(
            {"name": "quote-2291.pdf", "mimeType": "application/pdf", "buffer": QUOTE}
        )
        page.get_by_label("Attach files").set_input_files(
            {"name": "desk-photo.png", "mimeType": "image/png", "buffer": photo}
        )
        shot(page, "task-new-files")
        page.get_by_role("button", name="Create task").click()
        page.get_by_test_id("timeline").get_by_text("is within the limit").wait_for()
        page.wait_for_timeout(3000)  # the PDF viewer draws the page
        shot(page, "task-files")


if __name__ == "__main__":
    main()
