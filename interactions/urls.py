from django.urls import path

from interactions import views

app_name = "interactions"
urlpatterns = [
    path("", views.interaction_list, name="interaction_list"),
    path("new/<int:customer_pk>/", views.interaction_add, name="interaction_add"),
    path("<int:pk>/", views.interaction_detail, name="interaction_detail"),
    path("<int:pk>/edit/", views.interaction_edit, name="interaction_edit"),
    path("<int:pk>/delete/", views.interaction_delete, name="interaction_delete"),
    path("follow-ups/<int:pk>/done/", views.follow_up_done, name="follow_up_done"),
]
