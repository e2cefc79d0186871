from django.urls import path

from service import views_requests as views

urlpatterns = [
    path("requests/", views.request_board, name="request_board"),
    path("requests/column/<slug:column>/", views.request_board_column, name="request_board_column"),
    path("requests/all/", views.request_list, name="request_list"),
    path("requests/export/", views.request_export, name="request_export"),
    path("requests/reports/", views.request_reports, name="request_reports"),
    path("requests/new/", views.request_add, name="request_add"),
    path("requests/new/customers/", views.request_customer_pick, name="request_customer_pick"),
    path("requests/<int:pk>/", views.request_detail, name="request_detail"),
    path("requests/<int:pk>/edit/", views.request_edit, name="request_edit"),
    path("requests/<int:pk>/delete/", views.request_delete, name="request_delete"),
    path("requests/<int:pk>/assign/", views.request_assign, name="request_assign"),
    path("requests/<int:pk>/status/", views.request_status, name="request_status"),
]
