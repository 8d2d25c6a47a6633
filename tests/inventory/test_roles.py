import pytest

from sales import roles

BACK_OFFICE = [
    "inventory.add_stockcount",
    "inventory.change_goodsreceipt",
    "inventory.add_transfer",
    "inventory.add_adjustment",
    "inventory.change_reorderrule",
    "inventory.add_purchaseorder",
    "inventory.add_product",
    "inventory.change_product",
]


@pytest.mark.parametrize("permission", BACK_OFFICE)
def test_manager_runs_the_stock_back_office_and_cashier_does_not(manager, cashier, permission):
    assert manager.has_perm(permission)
    assert not cashier.has_perm(permission)


def test_migrated_groups_match_the_role_table(db):
    from django.contrib.auth.models import Group

    group = Group.objects.get(name=roles.MANAGER)
    granted = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}
    assert granted == set(roles.ROLE_PERMISSIONS[roles.MANAGER])
