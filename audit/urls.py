from django.urls import path

from audit import views

app_name = "audit"
urlpatterns = [
    path("", views.change_list, name="change_list"),
    path("access/", views.access_list, name="access_list"),
]
