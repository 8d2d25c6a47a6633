from django.db import migrations

from sales.roles import migrate_role_groups


class Migration(migrations.Migration):
    dependencies = [("sales", "0002_roles")]

    operations = [
        migrations.AlterModelOptions(
            name="saletax",
            options={"ordering": ["sale", "rate", "code"], "verbose_name_plural": "sale taxes"},
        ),
        # Managers may now view cart lines and tenders in the back office.
        migrations.RunPython(migrate_role_groups, migrations.RunPython.noop),
    ]
