from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from audit.forms import LoginForm
from sales import report_views

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="pos:register-list", permanent=False)),
    path("login/", auth_views.LoginView.as_view(authentication_form=LoginForm), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("pos/", include("sales.urls")),
    path("api/v1/", include("retailpos.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    # The back office's dashboard, before the admin's catch-all patterns.
    path("admin/reports/", report_views.dashboard, name="dashboard"),
    path("admin/reports/today/", report_views.dashboard_today, name="dashboard-today"),
    path("admin/reports/<slug:report>.csv", report_views.dashboard_csv, name="dashboard-csv"),
    path("admin/", admin.site.urls),
]
