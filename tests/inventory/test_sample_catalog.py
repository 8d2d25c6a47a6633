import io
from decimal import Decimal

from django.core.management import call_command

from devices.models import Register
from inventory.barcodes import is_valid_gtin
from inventory.models import Product, StockLevel, StockMovement
from inventory.sample_catalog import generate_products
from sales.models import Shift


def test_sample_catalogue_is_realistic_and_deterministic():
    products = list(generate_products(500))
    assert products == list(generate_products(500))
    assert all(is_valid_gtin(p.barcode) for p in products)
    assert len({p.barcode for p in products}) == len({p.sku for p in products}) == 500
    names = " ".join(p.name for p in products)
    assert "," in names and '"' in names and "ä" in names and "面包" in names and "🍅" in names
    assert all(p.price > 0 and p.price.as_tuple().exponent == -2 for p in products)


def test_seed_demo_is_idempotent_and_prints_logins(db, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    first, second = io.StringIO(), io.StringIO()
    call_command("seed_demo", products=30, stdout=first)
    call_command("seed_demo", products=30, stdout=second)

    assert Product.objects.count() == 30
    assert Register.objects.filter(store__code="main").count() == 2
    # Ready to sell at once: one open shift per demo register, however often the command runs.
    assert sorted(Shift.objects.filter(state="open").values_list("register__code", flat=True)) == ["R1", "R2"]
    assert {shift.opening_float for shift in Shift.objects.all()} == {Decimal("100.00")}
    assert StockMovement.objects.filter(reason="opening").count() == 30
    assert all(level.on_hand > 0 for level in StockLevel.objects.all())
    # The same logins are printed both times, and they work.
    logins = [line.split() for line in second.getvalue().splitlines() if "password:" in line]
    assert [login[0] for login in logins] == ["cashier", "supervisor", "manager"]
    assert first.getvalue().split("Demo logins")[1] == second.getvalue().split("Demo logins")[1]
    from django.contrib.auth import authenticate

    assert authenticate(username="cashier", password=logins[0][-1]) is not None
    # The supervisor's counter PIN for approvals is printed too, and is theirs.
    from django.contrib.auth.hashers import check_password

    from sales.models import StaffPin

    assert logins[1][-3:-1] == ["counter", "PIN:"]
    assert check_password(logins[1][-1], StaffPin.objects.get(user__username="supervisor").pin_hash)
