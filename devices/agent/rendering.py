"""Render print jobs to ESC/POS bytes with python-escpos: document in, bytes out, no printer needed."""

from escpos.printer import Dummy
from PIL import Image, ImageDraw, ImageFont

COLUMNS = {58: 32, 80: 48}  # font A characters per line
DOTS = {58: 384, 80: 576}  # printable width in dots
# Fonts tried for lines no code page can print (e.g. Chinese); Pillow's own font otherwise.
FALLBACK_FONTS = [
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
]


class UnsupportedJob(Exception):
    pass


def render_job(kind: str, payload: dict, *, printer: dict) -> bytes:
    """The ESC/POS bytes of a job for the printer described by ``printer`` (profile, paper width, fallback)."""
    paper = Paper(printer)
    if kind in ("receipt", "reprint"):
        render_receipt(paper, payload)
    elif kind == "drawer_kick":
        paper.escpos.cashdraw(2)
    elif kind == "test_page":
        render_test_page(paper, payload)
    elif kind == "report":
        render_report(paper, payload)
    else:
        raise UnsupportedJob(f"This agent cannot print jobs of kind {kind!r}.")
    return paper.escpos.output


class Paper:
    """A receipt being laid out: text in the profile's code pages, a fallback for the rest."""

    def __init__(self, printer: dict):
        self.escpos = Dummy(profile=printer.get("profile") or "default")
        self.width = int(printer.get("paper_width") or 80)
        self.columns = COLUMNS.get(self.width, 48)
        self.fallback = printer.get("text_fallback") or "image"

    def line(self, text: str = "", **style) -> None:
        if style:
            self.escpos.set(**style)
        self.write(text)
        self.escpos.text("\n")
        if style:
            self.escpos.set(normal_textsize=True, bold=False, align="left")

    def columns_line(self, left: str, right: str, **style) -> None:
        space = max(1, self.columns - len(left) - len(right))
        self.line(f"{left}{' ' * space}{right}", **style)

    def rule(self) -> None:
        self.line("-" * self.columns)

    def write(self, text: str) -> None:
        encoder = self.escpos.magic.encoder
        if all(char.isascii() or encoder.find_suitable_encoding(char) for char in text):
            self.escpos.text(text)  # python-escpos switches code pages as needed
        elif self.fallback == "image":
            self.escpos.image(self._text_image(text))
        else:
            self._write_with_fallback_encoding(text)

    def _write_with_fallback_encoding(self, text: str) -> None:
        """What the profile's code pages can print as text; the rest in the fallback encoding."""
        encoder = self.escpos.magic.encoder
        run, printable = "", True
        for char in text + "\0":
            char_printable = char == "\0" or char.isascii() or bool(encoder.find_suitable_encoding(char))
            if char == "\0" or char_printable != printable:
                if run and printable:
                    self.escpos.text(run)
                elif run:
                    self.escpos._raw(run.encode(self.fallback, errors="replace"))
                run, printable = "", char_printable
            run += char if char != "\0" else ""

    def _text_image(self, text: str) -> Image.Image:
        font = _fallback_font(24)
        image = Image.new("1", (DOTS.get(self.width, 576), 30), 1)
        ImageDraw.Draw(image).text((0, 2), text, font=font, fill=0)
        return image


def _fallback_font(size: int):
    for path in FALLBACK_FONTS:
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


def render_receipt(paper: Paper, document: dict) -> None:
    if document.get("version") != 1:
        raise UnsupportedJob(f"Receipt document version {document.get('version')!r} is newer than this agent.")
    currency = document["currency"]
    store = document["store"]
    paper.line(store["name"], align="center", bold=True, double_height=True)
    for address_line in (store.get("address") or "").splitlines():
        paper.line(address_line, align="center")
    if document.get("copy"):
        paper.line("*** COPY ***", align="center", bold=True)
    paper.line()
    paper.columns_line("Receipt", document["receipt_number"])
    paper.columns_line("Date", document["created_at"][:16].replace("T", " "))
    paper.columns_line("Register", document["register"]["code"])
    paper.columns_line("Cashier", document["cashier"])
    paper.rule()
    for line in document["lines"]:
        paper.line(line["name"])
        paper.columns_line(f"  {line['quantity']} x {line['unit_price']}", f"{line['amount']} {line['tax_code'][:1]}")
        if line["discount_amount"] not in ("0", "0.00", "0.000"):
            paper.columns_line(f"  discount {line['discount_percent']}%", f"-{line['discount_amount']}")
    paper.rule()
    if document["discount_total"] not in ("0", "0.00", "0.000"):
        paper.columns_line("Discounts", f"-{document['discount_total']}")
    paper.columns_line("TOTAL", f"{document['total']} {currency}", bold=True)
    label = "incl." if document["prices_include_tax"] else "plus"
    for tax in document["taxes"]:
        paper.columns_line(f"{label} {tax['code']} {tax['rate']}% of {tax['net']}", tax["tax"])
    paper.rule()
    for payment in document["payments"]:
        paper.columns_line(payment["label"], payment["amount"])
    if document["change"] not in ("0", "0.00", "0.000"):
        paper.columns_line("Change", document["change"], bold=True)
    if loyalty := document.get("loyalty"):
        paper.rule()
        paper.columns_line("Loyalty card", loyalty["card"])
        paper.columns_line("Points earned", str(loyalty["points_earned"]))
        if loyalty["points_redeemed"]:
            paper.columns_line("Points redeemed", str(loyalty["points_redeemed"]))
        paper.columns_line("Points balance", str(loyalty["points_balance"]), bold=True)
    paper.line()
    paper.escpos.set(align="center")
    paper.escpos.qr(document["qr"], size=4, native=False, center=True)
    paper.line(document.get("footer", ""), align="center")
    paper.escpos.cut()
    if document.get("open_drawer"):
        paper.escpos.cashdraw(2)


def render_report(paper: Paper, document: dict) -> None:
    """A titled report: rows of [label, value] (an empty row is a rule), e.g. a shift's Z report."""
    if document.get("version") != 1:
        raise UnsupportedJob(f"Report document version {document.get('version')!r} is newer than this agent.")
    paper.line(document["title"], align="center", bold=True, double_height=True)
    if document.get("subtitle"):
        paper.line(document["subtitle"], align="center")
    paper.rule()
    for row in document["rows"]:
        if not row:
            paper.rule()
        elif len(row) == 1:
            paper.line(str(row[0]))
        else:
            paper.columns_line(str(row[0]), str(row[1]))
    paper.rule()
    if document.get("footer"):
        paper.line(document["footer"])
    paper.escpos.cut()


def render_test_page(paper: Paper, document: dict) -> None:
    paper.line("Test page", align="center", bold=True, double_height=True)
    paper.line(f"Register {document.get('register', {}).get('code', '?')}")
    paper.line(f"Paper {paper.width} mm, {paper.columns} columns")
    paper.line("Grüße €5 — 中文")
    paper.rule()
    paper.escpos.cut()
