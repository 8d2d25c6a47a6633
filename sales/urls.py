from django.urls import path

from sales import views

app_name = "pos"

urlpatterns = [
    path("", views.register_list, name="register-list"),
]
