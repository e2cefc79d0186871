from django.urls import path

from service import views_complaints as views

urlpatterns = [
    path("", views.desk, name="desk"),
    path("complaints/new/<int:customer_pk>/", views.complaint_add, name="complaint_add"),
    path("complaints/<int:pk>/", views.complaint_detail, name="complaint_detail"),
    path("complaints/<int:pk>/edit/", views.complaint_edit, name="complaint_edit"),
    path("complaints/<int:pk>/delete/", views.complaint_delete, name="complaint_delete"),
    path("complaints/<int:pk>/advance/", views.complaint_advance, name="complaint_advance"),
    path("complaints/<int:pk>/compensation/", views.complaint_compensation, name="complaint_compensation"),
    path("complaints/approvals/<int:pk>/decide/", views.approval_decide, name="approval_decide"),
    path("complaints/analysis/", views.analysis, name="complaints_analysis"),
    path("complaints/limits/", views.compensation_limits, name="compensation_limits"),
    path("complaints/export/", views.export, name="complaints_export"),
]
