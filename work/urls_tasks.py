from django.urls import path

from work import views_tasks as views

urlpatterns = [
    path("tasks/", views.task_list, name="task_list"),
    path("tasks/new/<int:customer_pk>/", views.task_add, name="task_add"),
    path("tasks/<int:pk>/edit/", views.task_edit, name="task_edit"),
    path("tasks/<int:pk>/delete/", views.task_delete, name="task_delete"),
    path("tasks/<int:pk>/done/", views.task_done, name="task_done"),
    path("tasks/<int:pk>/take/", views.task_take, name="task_take"),
    path("tasks/<int:pk>/cancel/", views.task_cancel, name="task_cancel"),
]
