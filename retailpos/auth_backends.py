from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db.models import Q


class ModelBackendWithSingleCheck(ModelBackend):
    """Django's ModelBackend, but a request's first ``has_perm`` costs one EXISTS query.

    Checkout requests ask one question (``sales.add_sale``); loading every permission of the
    user and their groups for it costs two queries and a set build on each scan and sale.
    From the second check on (e.g. the admin), the usual cached permission set is used.
    """

    def has_perm(self, user_obj, perm, obj=None):
        if obj is not None or not user_obj.is_active or hasattr(user_obj, "_perm_cache"):
            return super().has_perm(user_obj, perm, obj)
        if getattr(user_obj, "_single_perm_checked", False):
            return super().has_perm(user_obj, perm, obj)
        user_obj._single_perm_checked = True
        app_label, _, codename = perm.partition(".")
        return (
            Permission.objects.filter(content_type__app_label=app_label, codename=codename)
            .filter(Q(user=user_obj) | Q(group__user=user_obj))
            .exists()
        )
