from django.urls import path

from wealth import views_holdings as views

urlpatterns = [
    path("holdings/new/<int:customer_pk>/", views.holding_add, name="holding_add"),
    path("holdings/<int:pk>/edit/", views.holding_edit, name="holding_edit"),
    path("holdings/<int:pk>/delete/", views.holding_delete, name="holding_delete"),
    path("fx-rates/", views.fx_rate_list, name="fx_rate_list"),
    path("fx-rates/<int:pk>/delete/", views.fx_rate_delete, name="fx_rate_delete"),
]
