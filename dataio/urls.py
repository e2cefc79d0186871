from django.urls import path

from dataio import views

app_name = "dataio"
urlpatterns = [
    path("import/", views.job_list, name="job_list"),
    path("import/template/<slug:kind>/", views.template, name="template"),
    path("import/<int:pk>/", views.job_detail, name="job_detail"),
    path("import/<int:pk>/mapping/", views.job_map, name="job_map"),
    path("import/<int:pk>/confirm/", views.job_confirm, name="job_confirm"),
    path("import/<int:pk>/cancel/", views.job_cancel, name="job_cancel"),
    path("import/<int:pk>/progress/", views.job_progress, name="job_progress"),
    path("import/<int:pk>/errors.csv", views.job_errors, name="job_errors"),
    path("export/<slug:kind>/", views.export, name="export"),
]
