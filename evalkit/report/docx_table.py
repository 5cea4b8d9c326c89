"""A laid-out table as a Word document, written in one pass (python-docx).

:meth:`evalkit.report.tables.ReportTable.to_docx` writes through this module: the cells,
merged headings, rules and fonts of maketables' Word output, with the table composed as
one WordprocessingML fragment and parsed once.  Setting every run's font and every
cell's border through python-docx's object model (what maketables does) costs about a
tenth of a second per table; the fragment costs milliseconds.  The document is the
python-docx default (its ``Caption`` and ``Table Grid`` styles); tests/test_report_tables.py
checks the cells, spans, fonts and caption against maketables' own Word output.

Layout (booktabs-like): no cell borders but a thick rule above the headings and below
the last row, a thin rule under the headings (and above the last heading level, left of
the stub, when there are several), a thin rule above each row group; the first column
left-aligned, every other cell centred; the notes in one merged row below, justified in
a smaller size; Times New Roman, black; every paragraph kept with the next, so the table
does not break across pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import pandas as pd

#: Font, sizes (half-points) and rule widths (eighths of a point) of the Word tables.
FONT = "Times New Roman"
BODY_SIZE = 22  # 11 pt
NOTES_SIZE = 18  # 9 pt
THICK_RULE = 8
THIN_RULE = 4
#: Cell margins (twentieths of a point): none left and right, 3 pt above and below.
CELL_MARGINS = {"left": 0, "right": 0, "top": 60, "bottom": 60}


@dataclass(frozen=True)
class _Cell:
    text: str | None  # None: a cell left empty (no run), as the stub of the heading rows
    span: int = 1
    centred: bool = True
    size: int = BODY_SIZE
    justify: bool = False


def write_docx(frame: pd.DataFrame, path: str | Path, *, caption: str | None, notes: str) -> Path:
    """Write ``frame`` (maketables' laid-out cells) with its caption and notes to ``path``.

    Column levels become heading rows (equal neighbouring labels of a level merged into
    one cell); a two-level row index gives row groups (a rule above each group's first
    row) and the second level as the row labels.
    """
    import docx
    from docx.oxml import parse_xml
    from docx.shared import Emu
    from maketables.symbols import translate_symbols

    def text(value: object) -> str:
        return translate_symbols(str(value), "docx")

    document = docx.Document()
    section = document.sections[0]
    ncols = frame.shape[1] + 1
    width = Emu((section.page_width - section.left_margin - section.right_margin) // ncols).twips

    levels = frame.columns.nlevels
    heads: list[list[_Cell]] = []
    for level in range(levels):
        labels = [str(c) for c in frame.columns.get_level_values(level)] if levels > 1 else [str(c) for c in frame.columns]
        row = [_Cell(None, centred=False)]
        for k, label in enumerate(labels):
            if levels > 1 and k > 0 and label == labels[k - 1]:
                row[-1] = _Cell(row[-1].text, row[-1].span + 1)
            else:
                row.append(_Cell(text(label)))
        heads.append(row)
    grouped = frame.index.nlevels > 1
    body: list[list[_Cell]] = []
    group_starts: list[int] = []
    previous = object()
    for key, values in zip(frame.index, frame.itertuples(index=False)):
        if grouped and key[0] != previous:
            previous = key[0]
            group_starts.append(len(heads) + len(body))
        label = key[1] if grouped else key
        body.append([_Cell(text(label), centred=False), *(_Cell(text(v)) for v in values)])
    notes_row = [_Cell(text(notes), span=ncols, centred=False, size=NOTES_SIZE, justify=True)]
    rows = [*heads, *body, notes_row]

    rules: dict[tuple[int, int], dict[str, int]] = {}  # (row, cell) -> side -> width
    for j in range(len(rows[0])):
        rules.setdefault((0, j), {})["top"] = THICK_RULE
    last_head = levels - 1
    for j in range(len(rows[last_head])):
        rules.setdefault((last_head, j), {})["bottom"] = THIN_RULE
        if levels > 1 and j > 0:
            rules[(last_head, j)]["top"] = THIN_RULE
    for i in group_starts:
        for j in range(len(rows[i])):
            rules.setdefault((i, j), {}).setdefault("top", THIN_RULE)
    last_body = len(rows) - 2
    for j in range(len(rows[last_body])):
        rules.setdefault((last_body, j), {})["bottom"] = THICK_RULE

    xml = [f'<w:tbl {_NAMESPACE}><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:type="auto" w:w="0"/>'
           '<w:tblLook w:firstColumn="1" w:firstRow="1" w:lastColumn="0" w:lastRow="0" w:noHBand="0" '
           'w:noVBand="1" w:val="04A0"/><w:tblCellMar>'
           + "".join(f'<w:{side} w:w="{w}" w:type="dxa"/>' for side, w in CELL_MARGINS.items())
           + "</w:tblCellMar></w:tblPr><w:tblGrid>" + f'<w:gridCol w:w="{width}"/>' * ncols + "</w:tblGrid>"]
    for i, row in enumerate(rows):
        xml.append("<w:tr>")
        for j, cell in enumerate(row):
            xml.append(_cell_xml(cell, width, rules.get((i, j), {})))
        xml.append("</w:tr>")
    xml.append("</w:tbl>")
    anchor = document.element.body.sectPr
    if caption is not None:
        anchor.addprevious(parse_xml(_caption_xml(text(caption))))
    anchor.addprevious(parse_xml("".join(xml)))
    path = Path(path)
    document.save(str(path))
    return path


_NAMESPACE = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def _run(text: str, size: int, *, extra: str = "") -> str:
    """A run in the table font; ``\\n`` becomes a line break (as python-docx's ``text``)."""
    props = (f'<w:rPr><w:rFonts w:ascii="{FONT}" w:hAnsi="{FONT}"/>{extra}<w:color w:val="000000"/>'
             f'<w:sz w:val="{size}"/></w:rPr>')
    parts = "<w:br/>".join(f'<w:t xml:space="preserve">{escape(part)}</w:t>' for part in text.split("\n")) if text else ""
    return f"<w:r>{props}{parts}</w:r>"


def _cell_xml(cell: _Cell, width: int, rules: dict[str, int]) -> str:
    borders = "".join(
        f'<w:{side} w:val="single" w:sz="{rules[side]}"/>' if side in rules else f'<w:{side} w:val="nil"/>'
        for side in ("top", "left", "bottom", "right")
    )
    span = f'<w:gridSpan w:val="{cell.span}"/>' if cell.span > 1 else ""
    align = '<w:jc w:val="both"/>' if cell.justify else '<w:jc w:val="center"/>' if cell.centred else ""
    run = "" if cell.text is None else _run(cell.text, cell.size)
    return (f'<w:tc><w:tcPr><w:tcW w:type="dxa" w:w="{width * cell.span}"/>{span}<w:tcBorders>{borders}'
            f"</w:tcBorders></w:tcPr><w:p><w:pPr><w:keepNext/><w:keepLines/>{align}</w:pPr>{run}</w:p></w:tc>")


def _caption_xml(caption: str) -> str:
    """``Table N: caption`` in the Caption style, N a Word sequence field, centred, kept with the table."""
    props = f'<w:rPr><w:rFonts w:ascii="{FONT}" w:hAnsi="{FONT}"/><w:color w:val="000000"/><w:sz w:val="22"/></w:rPr>'
    title = _run(": " + caption, BODY_SIZE, extra='<w:b w:val="0"/>')
    return (f'<w:p {_NAMESPACE}><w:pPr><w:pStyle w:val="Caption"/><w:keepNext/><w:jc w:val="center"/></w:pPr>'
            f'{_run("Table ", BODY_SIZE)}<w:r>{props}<w:fldChar w:fldCharType="begin"/>'
            f'<w:instrText xml:space="preserve">SEQ Table \\* ARABIC</w:instrText><w:fldChar w:fldCharType="end"/></w:r>'
            f"{title}</w:p>")


__all__ = ["write_docx"]
