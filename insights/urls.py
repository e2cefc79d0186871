from django.urls import path

from insights import views

app_name = "insights"
urlpatterns = [
    path("calls/", views.call_list, name="call_list"),
    path("value/", views.value, name="value"),
    path("refresh/", views.refresh, name="refresh"),
    path("runs/<int:pk>/progress/", views.run_progress, name="run_progress"),
    path("settings/", views.settings_edit, name="settings"),
]
