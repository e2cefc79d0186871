"""URLs of the SLA part: the working calendar, holidays and policies, service agreements."""

from django.urls import path

from service import views_sla as views

urlpatterns = [
    path("sla/calendar/", views.sla_calendar, name="sla_calendar"),
    path("sla/policies/", views.sla_policies, name="sla_policies"),
    path("sla/holidays/", views.holiday_list, name="holiday_list"),
    path("sla/holidays/import/", views.holiday_import, name="holiday_import"),
    path("sla/holidays/<int:holiday_id>/delete/", views.holiday_delete, name="holiday_delete"),
    path("agreements/", views.agreement_list, name="agreement_list"),
    path("agreements/export/", views.agreement_export, name="agreement_export"),
    path("agreements/new/<int:customer_pk>/", views.agreement_add, name="agreement_add"),
    path("agreements/<int:pk>/", views.agreement_detail, name="agreement_detail"),
    path("agreements/<int:pk>/edit/", views.agreement_edit, name="agreement_edit"),
    path("agreements/<int:pk>/delete/", views.agreement_delete, name="agreement_delete"),
    path("agreements/<int:pk>/documents/add/", views.agreement_document_add, name="agreement_document_add"),
    path("agreements/<int:pk>/documents/remove/", views.agreement_document_remove, name="agreement_document_remove"),
]
