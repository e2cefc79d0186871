from django.urls import path

from segmentation import views

app_name = "segmentation"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("schemes/add/", views.rule_scheme_add, name="rule_scheme_add"),
    path("schemes/<slug:key>/", views.scheme_detail, name="scheme_detail"),
    path("schemes/<slug:key>/edit/", views.rule_scheme_edit, name="rule_scheme_edit"),
    path("schemes/<slug:key>/delete/", views.rule_scheme_delete, name="rule_scheme_delete"),
    path("schemes/<slug:key>/managers/", views.scheme_managers, name="scheme_managers"),
    path("schemes/<slug:key>/classes/<slug:class_key>/", views.class_members, name="class_members"),
    path("segments/", views.segment_list, name="segment_list"),
    path("segments/add/", views.segment_add, name="segment_add"),
    path("segments/<int:pk>/", views.segment_detail, name="segment_detail"),
    path("segments/<int:pk>/edit/", views.segment_edit, name="segment_edit"),
    path("segments/<int:pk>/delete/", views.segment_delete, name="segment_delete"),
    path("segments/<int:pk>/export/", views.segment_export, name="segment_export"),
    path("customers/<int:customer_pk>/schemes/<slug:scheme_key>/", views.customer_scheme, name="customer_scheme"),
    path("customers/<int:customer_pk>/lifecycle/", views.customer_lifecycle, name="customer_lifecycle"),
]
