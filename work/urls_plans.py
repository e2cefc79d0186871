from django.urls import path

from work import views_plans as views

urlpatterns = [
    path("plans/", views.plan_month, name="plan_month"),
    path("plans/targets/", views.target_set, name="target_set"),
    path("plans/export/", views.plan_export, name="plan_export"),
    path("plans/day/", views.plan_day, name="plan_day"),
    path("plans/day/export/", views.plan_day_export, name="plan_day_export"),
    path("plans/week/", views.plan_week, name="plan_week"),
    path("plans/week/export/", views.plan_week_export, name="plan_week_export"),
    path("plans/week/change/", views.plan_week_change, name="plan_week_change"),
]
