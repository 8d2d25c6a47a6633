from django.db import migrations

from sales.roles import migrate_role_groups


class Migration(migrations.Migration):
    dependencies = [
        ("sales", "0005_offline_issues_of_the_whole_sale"),
        ("devices", "0002_pairing_devices_printers_jobs"),
    ]

    operations = [
        # Managers may now set up printers, revoke devices, and queue test pages and reprints.
        migrations.RunPython(migrate_role_groups, migrations.RunPython.noop),
    ]
