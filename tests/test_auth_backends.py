from django.contrib.auth.models import Group, Permission

from retailpos.auth_backends import ModelBackendLoadingPermissions
from sales import roles
from tests.factories import UserFactory

backend = ModelBackendLoadingPermissions()


def test_a_sessions_user_comes_with_own_and_group_permissions_in_one_query(db, django_assert_num_queries):
    cashier = UserFactory(role=roles.CASHIER)
    direct = UserFactory()
    direct.user_permissions.add(Permission.objects.get(codename="add_sale"))
    nobody = UserFactory()

    for user, expected in ((cashier, True), (direct, True), (nobody, False)):
        with django_assert_num_queries(1):
            loaded = backend.get_user(user.pk)
            assert loaded == user
            assert loaded.has_perm("sales.add_sale") is expected
            assert loaded.has_perm("auth.delete_user") is False


def test_the_loaded_permissions_are_the_ones_django_computes(db):
    for role in (roles.CASHIER, roles.SUPERVISOR, roles.MANAGER):
        user = UserFactory(role=role)
        user.user_permissions.add(Permission.objects.get(codename="view_permission"))
        expected = user.get_all_permissions()  # Django's own queries

        assert backend.get_user(user.pk).get_all_permissions() == expected
        assert "auth.view_permission" in expected and len(expected) > 1


def test_a_permission_taken_away_counts_from_the_next_request(db):
    cashier = UserFactory(role=roles.CASHIER)
    assert backend.get_user(cashier.pk).has_perm("sales.add_sale")

    cashier.groups.remove(Group.objects.get(name=roles.CASHIER))

    assert not backend.get_user(cashier.pk).has_perm("sales.add_sale")


def test_inactive_or_unknown_users_are_not_loaded(db):
    assert backend.get_user(UserFactory(role=roles.CASHIER, is_active=False).pk) is None
    assert backend.get_user(987654) is None


def test_a_superuser_keeps_every_permission(db):
    boss = UserFactory(is_superuser=True)
    assert backend.get_user(boss.pk).has_perm("auth.delete_user")


def test_a_sessions_user_comes_with_the_stores_they_work_at_in_the_same_query(db, django_assert_num_queries):
    from tests.factories import StoreFactory

    cashier = UserFactory(role=roles.CASHIER)
    north, south = StoreFactory(code="north"), StoreFactory(code="south")
    north.staff.add(cashier)
    south.staff.add(cashier)

    with django_assert_num_queries(1):
        assert backend.get_user(cashier.pk).assigned_store_ids == {north.pk, south.pk}
    assert backend.get_user(UserFactory().pk).assigned_store_ids == frozenset()
