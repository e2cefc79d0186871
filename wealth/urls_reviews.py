from django.urls import path

from wealth import views_reviews as views

urlpatterns = [
    path("customers/<int:customer_id>/reviews/", views.review_list, name="review_list"),
    path("customers/<int:customer_id>/reviews/start/", views.review_start, name="review_start"),
    path("customers/<int:customer_id>/reviews/settings/", views.schedule_edit, name="review_schedule"),
    path("reviews/<int:review_id>/", views.review_detail, name="review_detail"),
    path("reviews/<int:review_id>/sheet/", views.review_sheet, name="review_sheet"),
    path("reviews/<int:review_id>/sheet.xlsx", views.review_xlsx, name="review_xlsx"),
    path("reviews/cadence/", views.cadence_edit, name="review_cadence"),
]
