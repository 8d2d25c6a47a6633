from django.db import migrations

from sales.roles import migrate_role_groups


class Migration(migrations.Migration):
    dependencies = [
        ("sales", "0006_role_devices"),
        ("inventory", "0004_stock_operations_reordering"),
    ]

    operations = [
        # Managers may now run the stock operations, reorder rules and purchase orders.
        migrations.RunPython(migrate_role_groups, migrations.RunPython.noop),
    ]
