import sys
import time

from django.core.management.base import BaseCommand, CommandError

from inventory.importing import ImportRefused, import_products
from inventory.models import Store


class Command(BaseCommand):
    help = (
        "Import products from a CSV file (upsert by SKU): all or nothing unless --keep-valid. "
        "Streams the file; prints row errors with their line and column, and a summary."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file (UTF-8 with or without BOM, or Windows-1252; , ; or tab)")
        parser.add_argument("--dry-run", action="store_true", help="check and count, write nothing")
        parser.add_argument("--store", help="code of the store the on_hand column sets (default: the only store)")
        parser.add_argument("--keep-valid", action="store_true", help="import the valid rows even if others fail")
        separator = parser.add_mutually_exclusive_group()
        separator.add_argument("--decimal-comma", action="store_const", const=True, dest="decimal_comma")
        separator.add_argument("--decimal-point", action="store_const", const=False, dest="decimal_comma")
        parser.add_argument("--encoding", help="force the file's encoding (default: detected)")
        parser.add_argument("--max-errors", type=int, default=50, help="row errors to print (default 50)")

    def handle(self, *args, file, dry_run, store, keep_valid, decimal_comma, encoding, max_errors, **options):
        store_obj = None
        if store:
            try:
                store_obj = Store.objects.get(code=store)
            except Store.DoesNotExist as error:
                raise CommandError(f"No store with code {store!r}.") from error
        try:
            source = open(file, "rb")  # noqa: SIM115 - closed below, after the import
        except OSError as error:
            raise CommandError(f"Cannot open {file}: {error.strerror}") from error
        with source:
            total = _size(source)
            progress = _Progress(total, self.stderr if options.get("verbosity", 1) > 0 else None)
            try:
                report = import_products(
                    source=source,
                    store=store_obj,
                    dry_run=dry_run,
                    keep_valid=keep_valid,
                    decimal_comma=decimal_comma,
                    encoding=encoding,
                    file_name=file.rsplit("/", 1)[-1],
                    on_progress=progress.update,
                )
            except ImportRefused as error:
                progress.done()
                raise CommandError(str(error)) from error
            progress.done()
        for error in report.errors[:max_errors]:
            self.stdout.write(str(error))
        if report.error_count > max_errors:
            self.stdout.write(f"… and {report.error_count - max_errors} more errors")
        if report.ignored_columns:
            self.stdout.write(f"Ignored columns: {', '.join(report.ignored_columns)}")
        if report.new_categories:
            self.stdout.write(f"New categories: {', '.join(report.new_categories)}")
        self.stdout.write(
            f"{report.summary()} (read as {report.encoding}, delimiter {report.delimiter!r}, "
            f"decimal {'comma' if report.decimal_comma else 'point'})"
        )
        if report.has_errors and not keep_valid:
            sys.exit(1)


def _size(source) -> int:
    source.seek(0, 2)
    size = source.tell()
    source.seek(0)
    return size


class _Progress:
    """A one-line progress bar on stderr: rows, percent of the file read, rows/s."""

    def __init__(self, total: int, out):
        self.total, self.out, self.started, self.last = total, out, time.monotonic(), 0.0

    def update(self, rows: int, position: int) -> None:
        now = time.monotonic()
        if self.out is None or (now - self.last < 0.2 and position < self.total):
            return
        self.last = now
        share = min(position / self.total, 1.0) if self.total else 1.0
        bar = "#" * int(share * 30)
        rate = rows / max(now - self.started, 1e-6)
        self.out.write(f"\r[{bar:<30}] {share:4.0%} {rows:,} rows, {rate:,.0f} rows/s", ending="")
        self.out.flush()

    def done(self) -> None:
        if self.out is not None and self.last:
            self.out.write("")
