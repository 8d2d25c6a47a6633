"""Reading and writing the spreadsheets shops really have: encodings, delimiters, decimal commas.

Pure functions and small readers, no ORM: the product import (``inventory.importing``) and the
exports (``inventory.exporting``) share them, so what one writes the other reads back.
"""

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import BinaryIO

ENCODINGS = ("utf-8", "cp1252")
DELIMITERS = (",", ";", "\t")
_SNIFF_BLOCK = 1 << 20

# Sign, whole part, fraction: "12", "12.5", ".5", "-3." (or with a comma).
_POINT_PARTS = re.compile(r"([+-]?)(\d*)(?:\.(\d*))?\Z")
_COMMA_PARTS = re.compile(r"([+-]?)(\d*)(?:,(\d*))?\Z")


class UnreadableFile(Exception):
    """The file as a whole cannot be read (encoding, no header); nothing was imported."""


def detect_encoding(source: BinaryIO) -> str:
    """``utf-8-sig`` for a UTF-8 BOM, ``utf-8`` when every byte decodes as UTF-8, else ``cp1252``.

    Reads the whole (seekable) file once, in blocks, and rewinds it: a Windows-1252 byte may
    first appear on the last line.
    """
    start = source.tell()
    head = source.read(4)
    if head.startswith(codecs.BOM_UTF8):
        source.seek(start)
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        source.seek(start)
        return "utf-16"
    source.seek(start)
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while block := source.read(_SNIFF_BLOCK):
            decoder.decode(block)
        decoder.decode(b"", final=True)
        encoding = "utf-8"
    except UnicodeDecodeError:
        encoding = "cp1252"
    source.seek(start)
    if encoding == "cp1252":
        # The five bytes Windows-1252 leaves undefined mean the file is neither.
        decoder = codecs.getincrementaldecoder("cp1252")()
        try:
            while block := source.read(_SNIFF_BLOCK):
                decoder.decode(block)
        except UnicodeDecodeError as error:
            raise UnreadableFile(
                "The file is neither UTF-8 nor Windows-1252 text; save it as CSV UTF-8 and try again."
            ) from error
        finally:
            source.seek(start)
    return encoding


def detect_delimiter(header_line: str, known_columns: frozenset[str]) -> str:
    """The delimiter that splits the header into the most known column names (then the most columns)."""

    def score(delimiter: str) -> tuple[int, int]:
        names = next(csv.reader([header_line], delimiter=delimiter), [])
        return sum(normalize_header(name) in known_columns for name in names), len(names)

    return max(DELIMITERS, key=score)


def normalize_header(name: str) -> str:
    return name.strip().lstrip("\ufeff").strip().lower().replace(" ", "_").replace("-", "_")


@dataclass(frozen=True)
class CsvRow:
    line: int  # the physical line the row starts on, the header being line 1
    cells: list[str]


class CsvReader:
    """Rows of a CSV file with the physical line each starts on; blank lines are skipped.

    ``header`` holds the header row's cells as written; ``delimiter`` and ``encoding`` what was
    detected (or given).
    """

    def __init__(
        self,
        source: BinaryIO,
        *,
        known_columns: frozenset[str],
        encoding: str | None = None,
        delimiter: str | None = None,
    ):
        self.encoding = encoding or detect_encoding(source)
        self._text = io.TextIOWrapper(source, encoding=self.encoding, newline="")
        first_line = self._text.readline()
        # Skip blank lines above the header, counting them.
        self._lines_before_header = 0
        while first_line and not first_line.strip():
            self._lines_before_header += 1
            first_line = self._text.readline()
        if not first_line:
            raise UnreadableFile("The file is empty: expected a header line naming the columns.")
        self.delimiter = delimiter or detect_delimiter(first_line, known_columns)
        self._source = source
        # The header is re-read through the csv module (it may quote names).
        self.header = next(csv.reader([first_line], delimiter=self.delimiter))
        self._reader = csv.reader(self._text, delimiter=self.delimiter, strict=False)

    def detach(self) -> None:
        """Leave the binary file open for its owner (the text wrapper would close it)."""
        self._text.detach()

    @property
    def position(self) -> int:
        """Bytes read so far (ahead of the rows handed out by the read buffer)."""
        try:
            return self._source.tell()
        except (OSError, ValueError):
            return 0

    def __iter__(self) -> Iterator[CsvRow]:
        offset = self._lines_before_header + 1  # the header line
        reader = self._reader
        previous_end = 0
        for cells in reader:
            line = offset + previous_end + 1
            previous_end = reader.line_num
            if not cells or not any(cell.strip() for cell in cells):
                continue
            yield CsvRow(line, cells)


class NumberError(ValueError):
    pass


def parse_decimal(
    text: str, *, decimal_comma: bool, places: int, max_digits: int, allow_negative: bool = False
) -> Decimal:
    """A decimal from a cell, exactly as written: no thousands separators, no silent rounding."""
    text = text.strip()
    match = (_COMMA_PARTS if decimal_comma else _POINT_PARTS).match(text)
    if match is None or not (match.group(2) or match.group(3)):
        other = _POINT_PARTS if decimal_comma else _COMMA_PARTS
        hint = ""
        if (hinted := other.match(text)) and (hinted.group(2) or hinted.group(3)):
            hint = (
                " (this import reads decimal commas, e.g. 1,99)"
                if decimal_comma
                else (" (this import reads decimal points, e.g. 1.99)")
            )
        raise NumberError(f"{text!r} is not a number{hint}")
    sign, whole, fraction = match.groups()
    if sign == "-" and not allow_negative and (whole.strip("0") or (fraction or "").strip("0")):
        raise NumberError(f"{text} is negative; it must be 0 or more")
    if fraction and len(fraction) > places and fraction[places:].strip("0"):
        raise NumberError(f"{text} has more than {places} decimal places")
    if len(whole.lstrip("0")) > max_digits - places:
        raise NumberError(f"{text} is too large")
    return Decimal(f"{sign or ''}{whole or '0'}.{fraction or '0'}")


def format_decimal(value: Decimal, *, decimal_comma: bool = False) -> str:
    text = format(value, "f")
    return text.replace(".", ",") if decimal_comma else text


def format_quantity(value: Decimal, *, decimal_comma: bool = False) -> str:
    """A quantity without trailing zeros: 12, 12.5 (stored as 12.000, 12.500)."""
    text = format(value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize(), "f")
    return text.replace(".", ",") if decimal_comma else text


TRUE_WORDS = frozenset({"1", "true", "yes", "y", "ja", "j", "wahr", "x"})
FALSE_WORDS = frozenset({"0", "false", "no", "n", "nein", "falsch"})


def parse_bool(text: str) -> bool:
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"{text!r} is not yes/no (use 1 or 0, true or false, yes or no)")
