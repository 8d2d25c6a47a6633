from decimal import Decimal as D

import pytest
from django.core.management import call_command

from inventory.models import Product, StockLevel, StockMovement
from inventory.services import StockChange, record_movements


def test_import_products_command_prints_errors_and_exits_1_writing_nothing(tmp_path, store, standard_rate, capsys):
    path = tmp_path / "products.csv"
    path.write_text("sku,name,tax_code,price\nA-1,Milk,standard,1.19\nA-2,Bread,standard,-2\n")

    with pytest.raises(SystemExit) as exit_:
        call_command("import_products", str(path), "--store", store.code)

    out = capsys.readouterr().out
    assert exit_.value.code == 1
    assert 'line 3, column "price": -2 is negative; it must be 0 or more' in out
    assert "Nothing imported: 1 errors." in out
    assert not Product.objects.exists()


def test_import_products_command_keep_valid_and_dry_run(tmp_path, store, standard_rate, capsys):
    path = tmp_path / "products.csv"
    path.write_text("sku,name,tax_code,price,on_hand\nA-1,Milk,standard,1.19,4\nA-2,Bread,standard,x,\n")

    call_command("import_products", str(path), "--dry-run", "--keep-valid")
    assert "Dry run, nothing written. 2 rows: 1 new" in capsys.readouterr().out
    assert not Product.objects.exists()

    call_command("import_products", str(path), "--keep-valid")
    assert (
        "Imported. 2 rows: 1 new, 0 updated, 0 unchanged, 1 with errors; 1 stock movements" in capsys.readouterr().out
    )
    assert StockLevel.objects.get(product__sku="A-1").on_hand == 4


def test_export_command_writes_what_import_reads_back(tmp_path, store, product, capsys):
    path = tmp_path / "export.csv"
    call_command("export_products", "--store", store.code, "--output", str(path))
    call_command("import_products", str(path), "--store", store.code)

    assert "0 new, 0 updated, 1 unchanged" in capsys.readouterr().out


def test_check_stock_ledger_reports_each_drift_and_exits_1(store, product, capsys):
    call_command("check_stock_ledger")
    assert "No drift" in capsys.readouterr().out

    record_movements(store=store, changes=[StockChange(product.pk, D("-0.5"))], reason="sale")
    StockLevel.objects.filter(product=product).update(on_hand=D("47"))  # a write past the ledger
    StockMovement.objects.create(store=store, product=product, delta=D("1"), balance_after=1, reason="receipt")

    with pytest.raises(SystemExit) as exit_:
        call_command("check_stock_ledger")

    out = capsys.readouterr().out
    assert exit_.value.code == 1
    assert "DRIFT store main product MILK" in out
    assert "on hand 47.000, ledger 50.500, difference -3.500" in out
