from django.urls import path

from customers import views

app_name = "customers"
urlpatterns = [
    path("", views.customer_list, name="customer_list"),
    path("add/", views.customer_add, name="customer_add"),
    path("bulk/", views.customer_bulk, name="customer_bulk"),
    path("search/", views.customer_search, name="customer_search"),
    path("export/", views.customer_export, name="customer_export"),
    path("trash/", views.customer_trash, name="customer_trash"),
    path("<int:pk>/", views.customer_detail, name="customer_detail"),
    path("<int:pk>/edit/", views.customer_edit, name="customer_edit"),
    path("<int:pk>/delete/", views.customer_delete, name="customer_delete"),
    path("<int:pk>/verify/", views.customer_verify, name="customer_verify"),
    path("<int:pk>/transfer/", views.customer_transfer, name="customer_transfer"),
    path("<int:pk>/restore/", views.customer_restore, name="customer_restore"),
    path("<int:customer_pk>/contacts/add/", views.contact_add, name="contact_add"),
    path("contacts/<int:pk>/edit/", views.contact_edit, name="contact_edit"),
    path("contacts/<int:pk>/delete/", views.contact_delete, name="contact_delete"),
    path("<int:customer_pk>/family/add/", views.family_add, name="family_add"),
    path("family/<int:pk>/edit/", views.family_edit, name="family_edit"),
    path("family/<int:pk>/delete/", views.family_delete, name="family_delete"),
    path("<int:customer_pk>/documents/add/", views.document_upload, name="document_upload"),
    path("documents/<int:pk>/", views.document_download, name="document_download"),
    path("documents/<int:pk>/delete/", views.document_delete, name="document_delete"),
]
