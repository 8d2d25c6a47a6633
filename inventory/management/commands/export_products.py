import sys

from django.core.management.base import BaseCommand, CommandError

from inventory.exporting import write_products_csv
from inventory.models import Store


class Command(BaseCommand):
    help = "Write every product, with its on hand in a store, as CSV that import_products reads back unchanged."

    def add_arguments(self, parser):
        parser.add_argument("--store", help="code of the store whose on hand to export (default: no stock column)")
        parser.add_argument("--output", "-o", help="file to write (default: standard output)")

    def handle(self, *args, store, output, **options):
        store_obj = None
        if store:
            try:
                store_obj = Store.objects.get(code=store)
            except Store.DoesNotExist as error:
                raise CommandError(f"No store with code {store!r}.") from error
        if output:
            with open(output, "w", encoding="utf-8", newline="") as out:
                count = write_products_csv(out, store=store_obj)
        else:
            sys.stdout.reconfigure(newline="")
            count = write_products_csv(sys.stdout, store=store_obj)
        self.stderr.write(f"Exported {count} products.")
