from django.urls import path

from governance import views

app_name = "governance"
urlpatterns = [
    path("duplicates/", views.duplicate_list, name="duplicate_list"),
    path("duplicates/<int:pk>/<int:other>/not-duplicate/", views.not_duplicate, name="not_duplicate"),
    path("merge/<int:pk>/<int:other>/", views.merge, name="merge"),
    path("merges/", views.merge_list, name="merge_list"),
    path("merges/<int:pk>/undo/", views.unmerge, name="unmerge"),
]
