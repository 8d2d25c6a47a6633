import sys

from django.core.management.base import BaseCommand

from inventory.models import Product, Store
from inventory.selectors import ledger_drift


class Command(BaseCommand):
    help = "Check every stock balance against the sum of its ledger movements; exit code 1 on any drift."

    def handle(self, *args, **options):
        drifts = ledger_drift()
        if not drifts:
            self.stdout.write("No drift: every stock balance equals its ledger.")
            return
        stores = dict(Store.objects.filter(pk__in={d.store_id for d in drifts}).values_list("pk", "code"))
        skus = dict(Product.objects.filter(pk__in={d.product_id for d in drifts}).values_list("pk", "sku"))
        for drift in drifts:
            self.stdout.write(
                f"DRIFT store {stores.get(drift.store_id, drift.store_id)} product {skus.get(drift.product_id)} "
                f"(id {drift.product_id}): on hand {drift.on_hand}, ledger {drift.ledger}, "
                f"difference {drift.on_hand - drift.ledger:+}"
            )
        self.stdout.write(f"{len(drifts)} stock balance(s) drifted from the ledger.")
        sys.exit(1)
