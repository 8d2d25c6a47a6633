from functools import wraps

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.core.exceptions import PermissionDenied


class BackOfficeSite(admin.AdminSite):
    """Django's admin, but someone logged in without back-office rights gets 403, not the login page.

    (Django's login form would hide that they tried; the 403 goes to the audit log.)
    """

    site_header = "Retail POS back office"
    site_title = "Retail POS"

    def admin_view(self, view, cacheable=False):
        checked = super().admin_view(view, cacheable)

        @wraps(checked)
        def for_back_office_staff(request, *args, **kwargs):
            if request.user.is_authenticated and not self.has_permission(request):
                raise PermissionDenied("The back office is for managers.")
            return checked(request, *args, **kwargs)

        return for_back_office_staff


class BackOfficeAdminConfig(AdminConfig):
    default_site = "retailpos.admin_site.BackOfficeSite"
