"""The window's printed documents (受理回执, 一次性告知书, a ``Document`` of document.py) as
PDF: reportlab with the Adobe CJK font STSong-Light, which PDF readers supply themselves
(nothing to ship or embed)."""

import io
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from services.portal.document import Document

FONT = "STSong-Light"
# The receipt number in a Latin font: it stays plain text in the file (searchable, and
# checked by the tests), and reads unambiguously when spoken at a window.
NUMBER_FONT = "Courier-Bold"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

_BODY = ParagraphStyle("body", fontName=FONT, fontSize=11, leading=17, wordWrap="CJK")
_TITLE = ParagraphStyle("title", parent=_BODY, fontSize=17, leading=24, alignment=TA_CENTER,
                        spaceAfter=4 * mm)
_HEADING = ParagraphStyle("heading", parent=_BODY, fontSize=12.5, leading=19,
                          spaceBefore=3 * mm, spaceAfter=1 * mm)
_CELL = ParagraphStyle("cell", parent=_BODY, fontSize=10, leading=14)
_GRID = TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP")])
_PLAIN = TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                     ("LEFTPADDING", (0, 0), (-1, -1), 0)])


def _text(value: str, style: ParagraphStyle = _BODY) -> Paragraph:
    return Paragraph(escape(value), style)


def _story(doc: Document, width: float) -> list[Flowable]:
    story: list[Flowable] = [
        _text(doc.title, _TITLE),
        Paragraph(f'{escape(doc.number_label)}<font name="{NUMBER_FONT}">'
                  f'{escape(doc.number)}</font>', _BODY),
        Spacer(1, 2 * mm)]
    if doc.facts:
        rows = [[_text(label), _text(value)] for label, value in doc.facts]
        story.append(Table(rows, colWidths=[32 * mm, width - 32 * mm], style=_PLAIN))
    if doc.intro:
        story += [Spacer(1, 3 * mm), _text(doc.intro)]
    if doc.table:
        rows = [[_text(cell, _CELL) for cell in row] for row in doc.table]
        shares = doc.widths or [1 / len(doc.table[0])] * len(doc.table[0])
        story += [Spacer(1, 3 * mm), Table(rows, colWidths=[width * f for f in shares],
                                           style=_GRID, repeatRows=1)]
    for heading, lines in doc.lists:
        story.append(_text(heading, _HEADING))
        story += [_text(f"{n}. {line}") for n, line in enumerate(lines, 1)]
    story.append(Spacer(1, 3 * mm))
    story += [_text(paragraph) for paragraph in doc.paragraphs]
    if doc.signatures:
        story += [Spacer(1, 10 * mm),
                  Table([[_text(f"{label}________________") for label in doc.signatures]],
                        style=_PLAIN)]
    return story


def render(doc: Document) -> bytes:
    """The document as an A4 PDF. Streams are left uncompressed: a page or two of text, and
    the receipt number stays findable in the file."""
    buffer = io.BytesIO()
    paper = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm,
                              topMargin=18 * mm, bottomMargin=18 * mm,
                              title=f"{doc.title} {doc.number}", author="OneDoor",
                              pageCompression=0, invariant=1)
    paper.build(_story(doc, paper.width))
    return buffer.getvalue()
