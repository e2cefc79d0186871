from django.urls import path

from service import views_knowledge as views

urlpatterns = [
    path("knowledge/", views.article_list, name="article_list"),
    path("knowledge/new/", views.article_add, name="article_add"),
    path("knowledge/<int:article_id>/", views.article_detail, name="article_detail"),
    path("knowledge/<int:article_id>/edit/", views.article_edit, name="article_edit"),
    path("knowledge/<int:article_id>/publish/", views.article_publish, name="article_publish"),
    path("knowledge/<int:article_id>/history/", views.article_history, name="article_history"),
]
