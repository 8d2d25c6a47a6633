from django.db import migrations

from sales.roles import migrate_role_groups


class Migration(migrations.Migration):
    dependencies = [
        ("sales", "0001_initial"),
        ("inventory", "0001_initial"),
        ("devices", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(migrate_role_groups, migrations.RunPython.noop)]
