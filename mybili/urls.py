from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from mybili import views
from mybili.api.docs import RedocView
from mybili.api.urls import catch_all

urlpatterns = [
    path("", views.ranking_page, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", RedocView.as_view(url_name="schema"), name="redoc"),
    path("api/", include("mybili.api.urls")),
    path("api/", include([catch_all])),
    path("metrics", views.metrics, name="prometheus-django-metrics"),
]

handler400 = "mybili.api.exceptions.handler400"
handler500 = "mybili.api.exceptions.handler500"
