from django.db import migrations

from sales.roles import migrate_role_groups


class Migration(migrations.Migration):
    dependencies = [
        ("sales", "0007_role_inventory_back_office"),
        ("audit", "0001_initial"),
    ]

    operations = [
        # Managers read the audit log.
        migrations.RunPython(migrate_role_groups, migrations.RunPython.noop),
    ]
