import io
from decimal import Decimal as D

import pytest

from inventory.models import PurchaseOrder, PurchaseOrderLine, ReorderRule, Supplier
from inventory.reordering import (
    create_draft_purchase_orders,
    low_stock,
    suggested_purchase_orders,
    write_suggestions_csv,
)
from tests.factories import ProductFactory, StoreFactory


@pytest.fixture
def catalogue(store, standard_rate, stock):
    """Milk is low (4 ≤ 5), bread is fine (20 > 5), juice is low but already on order."""
    dairy, bakery = Supplier.objects.create(name="Molkerei Nord"), Supplier.objects.create(name="Bäckerei Süd")
    milk = stock(ProductFactory(sku="MILK", name="Milch 3,5%", tax_rate=standard_rate, cost=D("0.70")), 4)
    bread = stock(ProductFactory(sku="BREAD", tax_rate=standard_rate), 20)
    juice = stock(ProductFactory(sku="JUICE", tax_rate=standard_rate), 1)
    rolls = stock(ProductFactory(sku="ROLLS", tax_rate=standard_rate, cost=D("0.15")), 0)
    for product, supplier, quantity in [(milk, dairy, 24), (bread, bakery, 10), (juice, None, 12), (rolls, bakery, 50)]:
        ReorderRule.objects.create(
            store=store, product=product, reorder_point=D("5"), reorder_quantity=D(quantity), supplier=supplier
        )
    order = PurchaseOrder.objects.create(store=store, status=PurchaseOrder.Status.ORDERED)
    PurchaseOrderLine.objects.create(order=order, product=juice, quantity=D("12"))
    return {"milk": milk, "bread": bread, "juice": juice, "rolls": rolls, "dairy": dairy, "bakery": bakery}


def test_low_stock_list_counts_what_is_on_order(store, catalogue):
    low = low_stock(store=store)

    assert [(rule.product.sku, rule.on_hand, rule.on_order) for rule in low] == [
        ("MILK", D("4"), D("0")),
        ("ROLLS", D("0"), D("0")),
    ]


def test_low_stock_is_per_store(store, catalogue, standard_rate):
    other = StoreFactory(code="other")
    ReorderRule.objects.create(store=other, product=catalogue["bread"], reorder_point=D("1"), reorder_quantity=D("5"))

    assert [rule.product.sku for rule in low_stock(store=other)] == ["BREAD"]  # nothing on hand there


def test_suggested_orders_are_grouped_by_supplier_and_become_drafts(store, catalogue, manager):
    suggestions = suggested_purchase_orders(store=store)
    assert [(s.supplier.name, [line.sku for line in s.lines]) for s in suggestions] == [
        ("Bäckerei Süd", ["ROLLS"]),
        ("Molkerei Nord", ["MILK"]),
    ]

    orders = create_draft_purchase_orders(store=store, user=manager)

    assert [
        (o.supplier.name, o.status, list(o.lines.values_list("product__sku", "quantity", "unit_cost"))) for o in orders
    ] == [
        ("Bäckerei Süd", "draft", [("ROLLS", D("50"), D("0.15"))]),
        ("Molkerei Nord", "draft", [("MILK", D("24"), D("0.70"))]),
    ]
    # On order now: nothing is suggested twice.
    assert suggested_purchase_orders(store=store) == []


def test_suggestions_export_as_csv(store, catalogue):
    out = io.StringIO(newline="")

    write_suggestions_csv(out, suggested_purchase_orders(store=store))

    assert out.getvalue().splitlines() == [
        "store,supplier,sku,name,on_hand,on_order,reorder_point,quantity,unit_cost",
        "main,Bäckerei Süd,ROLLS,Product " + catalogue["rolls"].name.split()[-1] + ",0,0,5,50,0.15",
        'main,Molkerei Nord,MILK,"Milch 3,5%",4,0,5,24,0.70',
    ]


def test_admin_low_stock_list_and_actions(client, manager, store, catalogue):
    client.force_login(manager)

    page = client.get("/admin/inventory/reorderrule/?stock=low")
    assert page.status_code == 200
    assert [rule.product.sku for rule in page.context["cl"].result_list] == ["MILK", "ROLLS"]

    ids = [rule.pk for rule in page.context["cl"].result_list]
    response = client.post("/admin/inventory/reorderrule/", {"action": "export_suggestions", "_selected_action": ids})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert b"MILK" in response.content

    client.post("/admin/inventory/reorderrule/", {"action": "create_purchase_orders", "_selected_action": ids})
    assert PurchaseOrder.objects.filter(status="draft").count() == 2
