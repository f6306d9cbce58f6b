"""What a printed document of the window says (``Document``): the HTML pages show it, and
``services.portal.pdf`` prints it; apart from the PDF so that reportlab loads only when a PDF
is asked for."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Document:
    """A printed document: title, its number, facts (label, value), an opening paragraph, one
    table (the first row its header), headed lists, paragraphs, and lines to sign."""

    title: str
    number_label: str
    number: str
    facts: list[tuple[str, str]] = field(default_factory=list)
    intro: str = ""
    table: list[list[str]] = field(default_factory=list)
    widths: list[float] = field(default_factory=list)  # the table's columns, shares of 1
    lists: list[tuple[str, list[str]]] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    signatures: list[str] = field(default_factory=list)
