from decimal import Decimal

from django.db import migrations, models
from django.db.models import OuterRef, Subquery

from sales.roles import migrate_role_groups


def cost_of_earlier_lines(apps, schema_editor):
    """Lines sold before costs were snapshotted get the product's cost now: the best estimate there is."""
    SaleLine = apps.get_model("sales", "SaleLine")
    Product = apps.get_model("inventory", "Product")
    SaleLine.objects.update(unit_cost=Subquery(Product.objects.filter(pk=OuterRef("product_id")).values("cost")[:1]))


class Migration(migrations.Migration):
    dependencies = [
        ("sales", "0007_role_inventory_back_office"),
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
        # Managers may open the dashboard and its CSV exports.
        migrations.RunPython(migrate_role_groups, migrations.RunPython.noop),
    ]
