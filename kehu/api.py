"""The REST API (/api/v1): one NinjaAPI, routers from the domain apps."""

from ninja import NinjaAPI

api = NinjaAPI(title="kehu API", version="1", urls_namespace="api")
