from decimal import Decimal

from django.db import migrations, models
from django.db.models import OuterRef, Subquery
from django.db.models.deletion import DO_NOTHING

from sales.roles import migrate_role_groups


def cost_of_earlier_lines(apps, schema_editor):
    """Lines sold before costs were snapshotted get the product's cost now: the best estimate there is."""
    SaleLine = apps.get_model("sales", "SaleLine")
    Product = apps.get_model("inventory", "Product")
    SaleLine.objects.update(unit_cost=Subquery(Product.objects.filter(pk=OuterRef("product_id")).values("cost")[:1]))


PARTS = ("saleline", "saletax", "payment")


def copy_sale_store_and_time(apps, schema_editor):
    """Lines, taxes and payments written before get their sale's store and time (and lines its price basis)."""
    Sale = apps.get_model("sales", "Sale")
    for name in PARTS:
        sale = Sale.objects.filter(pk=OuterRef("sale_id"))
        copies = {
            "store_id": Subquery(sale.values("store_id")[:1]),
            "completed_at": Subquery(sale.values("completed_at")[:1]),
        }
        if name == "saleline":
            copies["prices_include_tax"] = Subquery(sale.values("prices_include_tax")[:1])
        apps.get_model("sales", name).objects.update(**copies)


def brin_indexes(apps, schema_editor):
    """PostgreSQL: a BRIN index on each part's completed_at (written in time order, so tiny and cheap to keep)."""
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in PARTS:
        # autosummarize: a filled block range is summarized by autovacuum soon, not at the next VACUUM.
        schema_editor.execute(
            f"CREATE INDEX {name}_completed_brin ON sales_{name} USING brin (completed_at)"
            " WITH (pages_per_range = 32, autosummarize = on)"
        )


def drop_brin_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in PARTS:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}_completed_brin")


def part_of_sale_fields(model_name):
    fields = [
        migrations.AddField(
            model_name=model_name,
            name="store",
            field=models.ForeignKey(
                db_constraint=False, db_index=False, editable=False, null=True, on_delete=DO_NOTHING,
                related_name="+", to="inventory.store",
            ),
        ),
        migrations.AddField(
            model_name=model_name, name="completed_at", field=models.DateTimeField(editable=False, null=True)
        ),
    ]  # fmt: skip
    if model_name == "saleline":
        fields.append(
            migrations.AddField(
                model_name=model_name, name="prices_include_tax", field=models.BooleanField(editable=False, null=True)
            )
        )
    return fields


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0004_stock_operations_reordering"),
        ("sales", "0009_journal_refunds_voids"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="sale",
            options={
                "ordering": ["-completed_at"],
                "permissions": [("view_reports", "Can view the sales dashboard and reports")],
            },
        ),
        # db_default: workers of the previous release insert lines while the migration runs.
        migrations.AddField(
            model_name="saleline",
            name="unit_cost",
            field=models.DecimalField(db_default=Decimal("0"), decimal_places=2, default=Decimal("0"), max_digits=12),
        ),
        migrations.RunPython(cost_of_earlier_lines, migrations.RunPython.noop),
        *[operation for name in PARTS for operation in part_of_sale_fields(name)],
        migrations.RunPython(copy_sale_store_and_time, migrations.RunPython.noop),
        migrations.RunPython(brin_indexes, drop_brin_indexes),
        # Managers may open the dashboard and its CSV exports.
        migrations.RunPython(migrate_role_groups, migrations.RunPython.noop),
    ]
