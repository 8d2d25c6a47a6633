from functools import cache

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from inventory.models import Store

# Permission names are ``app_label.codename``: never a space in them.
_SEPARATOR = " "


class ModelBackendLoadingPermissions(ModelBackend):
    """Django's ModelBackend, but a session's user arrives with their permissions (and the stores they
    work at, ``assigned_store_ids``), in one query.

    Every checkout request loads its user and asks one permission question (``sales.add_sale``);
    Django would spend a query on the user and two on the permissions of the user and of their
    groups. Here one statement reads the user row and the names of all those permissions, and
    ``has_perm`` answers from them. They are read afresh on every request, as Django's are.
    """

    def get_user(self, user_id):
        user_model = get_user_model()
        if connection.vendor == "postgresql":
            # Its driver gives every user field as the ORM would: skip the raw queryset's machinery.
            with connection.cursor() as cursor:
                cursor.execute(_user_with_permissions_sql(), [user_id])
                row = cursor.fetchone()
            if row is None:
                return None
            *values, permission_names, store_ids = row
            fields = [field.attname for field in user_model._meta.concrete_fields]
            user = user_model.from_db(connection.alias, fields, values)
        else:
            user = next(iter(user_model._default_manager.raw(_user_with_permissions_sql(), [user_id])), None)
            if user is None:
                return None
            permission_names, store_ids = user.permission_names, user.store_ids
        if not self.user_can_authenticate(user):
            return None
        # The stores they work at (sales.access): the checkout asks on every request.
        user.assigned_store_ids = frozenset(int(pk) for pk in store_ids.split(_SEPARATOR)) if store_ids else frozenset()
        if not user.is_superuser:  # a superuser has every permission, not only those assigned
            user._perm_cache = set(permission_names.split(_SEPARATOR)) if permission_names else set()
        return user


@cache
def _user_with_permissions_sql() -> str:
    user_model = get_user_model()
    quote = connection.ops.quote_name
    user_permissions = user_model._meta.get_field("user_permissions")
    user_groups = user_model._meta.get_field("groups")
    group_permissions = Group._meta.get_field("permissions")
    store_staff = Store._meta.get_field("staff")

    def table(model_or_field):
        model = model_or_field.remote_field.through if hasattr(model_or_field, "remote_field") else model_or_field
        return quote(model._meta.db_table)

    user_id = quote(user_model._meta.pk.column)
    aggregate = "string_agg" if connection.vendor == "postgresql" else "group_concat"
    columns = ", ".join(f"u.{quote(field.column)}" for field in user_model._meta.concrete_fields)
    return f"""
SELECT {columns}, (
    SELECT {aggregate}(ct.app_label || '.' || p.codename, '{_SEPARATOR}')
    FROM {table(Permission)} p JOIN {table(ContentType)} ct ON ct.id = p.content_type_id
    WHERE p.id IN (
        SELECT {quote(user_permissions.m2m_reverse_name())} FROM {table(user_permissions)}
        WHERE {quote(user_permissions.m2m_column_name())} = u.{user_id}
    ) OR p.id IN (
        SELECT gp.{quote(group_permissions.m2m_reverse_name())}
        FROM {table(group_permissions)} gp
        JOIN {table(user_groups)} ug
            ON ug.{quote(user_groups.m2m_reverse_name())} = gp.{quote(group_permissions.m2m_column_name())}
        WHERE ug.{quote(user_groups.m2m_column_name())} = u.{user_id}
    )
) AS permission_names, (
    SELECT {aggregate}(CAST(s.{quote(store_staff.m2m_column_name())} AS TEXT), '{_SEPARATOR}')
    FROM {table(store_staff)} s WHERE s.{quote(store_staff.m2m_reverse_name())} = u.{user_id}
) AS store_ids
FROM {table(user_model)} u WHERE u.{user_id} = %s
"""
