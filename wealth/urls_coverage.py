from django.urls import path

from wealth import views_coverage as views

urlpatterns = [
    path("customers/<int:customer_pk>/coverage/", views.household_coverage, name="household_coverage"),
    path("customers/<int:customer_pk>/coverage/income/", views.income_save, name="income_save"),
    path("policies/new/<int:customer_pk>/", views.policy_add, name="policy_add"),
    path("policies/<int:pk>/edit/", views.policy_edit, name="policy_edit"),
    path("policies/<int:pk>/delete/", views.policy_delete, name="policy_delete"),
]
