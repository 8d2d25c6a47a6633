from django.contrib.auth.models import Permission

from sales import roles
from tests.factories import UserFactory


def test_first_check_answers_from_group_or_own_permissions_with_one_query(db, django_assert_num_queries):
    cashier = UserFactory(role=roles.CASHIER)
    direct = UserFactory()
    direct.user_permissions.add(Permission.objects.get(codename="add_sale"))
    nobody = UserFactory()

    for user, expected in ((cashier, True), (direct, True), (nobody, False)):
        with django_assert_num_queries(1):
            assert user.has_perm("sales.add_sale") is expected


def test_inactive_users_have_no_permissions(db):
    cashier = UserFactory(role=roles.CASHIER, is_active=False)
    assert not cashier.has_perm("sales.add_sale")


def test_later_checks_use_the_cached_permission_set(db, django_assert_num_queries):
    manager = UserFactory(role=roles.MANAGER)
    assert manager.has_perm("sales.add_sale")
    with django_assert_num_queries(2):  # the user's and the groups' permissions, once
        assert manager.has_perm("inventory.change_product")
        assert not manager.has_perm("auth.delete_user")
        assert manager.has_perm("devices.view_register")
