"""Fill the bench database: run as ``python -m bench.fixtures`` with ``DATABASE_URL`` set.

Migrates, installs the sample catalogue with opening stock for one store, tops up the hot
products, and creates the registers and the cashier. Prints one JSON line with what it made.
"""

import json
import os
import sys
import time
import uuid
from decimal import Decimal

HOT_TOP_UP = Decimal("1000000")


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "retailpos.settings")
    import django

    django.setup()

    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.utils import timezone

    from bench.workload import SCAN_REGISTER_PREFIX, hot_skus, register_codes
    from devices.models import Register
    from inventory.models import Product, StockMovement, Store
    from inventory.sample_catalog import install_sample_catalog
    from inventory.services import StockChange, record_movements
    from sales import roles
    from sales.models import Shift

    timings = {}

    started = time.monotonic()
    call_command("migrate", interactive=False, verbosity=0)
    timings["migrate_seconds"] = round(time.monotonic() - started, 1)

    if os.environ.get("BENCH_REUSE_DATABASE") == "1" and Store.objects.filter(code="bench").exists():
        cashier = get_user_model().objects.get(username=os.environ["BENCH_CASHIER_USERNAME"])
        cashier.set_password(os.environ["BENCH_CASHIER_PASSWORD"])
        cashier.save(update_fields=["password"])
        print(json.dumps({"reused": True, "products": Product.objects.count()}))
        return 0

    products = int(os.environ["BENCH_PRODUCTS"])
    registers = int(os.environ["BENCH_REGISTERS"])
    scan_registers = int(os.environ["BENCH_SCAN_REGISTERS"])

    started = time.monotonic()
    store = Store.objects.create(
        code="bench", name="Bench Store", currency="EUR", prices_include_tax=True, allow_negative_stock=True
    )
    installed = install_sample_catalog(store=store, count=products)
    # Every register sells the hot products all run long: keep them far from zero.
    hot_ids = Product.objects.filter(sku__in=hot_skus(products)).values_list("pk", flat=True)
    record_movements(
        store=store,
        changes=[StockChange(pk, HOT_TOP_UP) for pk in hot_ids],
        reason=StockMovement.Reason.RECEIPT,
        reference="bench top-up",
    )
    timings["catalogue_seconds"] = round(time.monotonic() - started, 1)

    codes = register_codes(registers) + register_codes(scan_registers, SCAN_REGISTER_PREFIX)
    Register.objects.bulk_create(Register(store=store, code=code, name=f"Bench register {code}") for code in codes)

    cashier = get_user_model().objects.create_user(
        username=os.environ["BENCH_CASHIER_USERNAME"], password=os.environ["BENCH_CASHIER_PASSWORD"]
    )
    cashier.groups.add(Group.objects.get(name=roles.CASHIER))
    # A register sells only inside an open shift: every bench register starts with one (no float).
    Shift.objects.bulk_create(
        Shift(
            id=uuid.uuid4(),
            register=register,
            currency=store.currency,
            opened_by=cashier,
            opened_at=timezone.now(),
            opening_float=Decimal("0"),
        )
        for register in Register.objects.filter(code__in=codes)
    )

    print(json.dumps({"products": installed, "registers": len(codes), "hot_products": len(hot_ids), **timings}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
