from django.urls import path

from retention import views_churn

urlpatterns = [
    path("", views_churn.churn, name="churn"),
    path("export/", views_churn.churn_export, name="churn_export"),
]
