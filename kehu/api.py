"""The REST API (/api/v1): one NinjaAPI, routers from the domain apps."""

from accounts.api import api_auth
from accounts.api import router as accounts_router
from commerce.api import router as commerce_router
from core.api import KehuAPI, bind_actor, install_error_handlers, reject_unstorable_values
from customers.api import router as customers_router
from insights.api import router as insights_router
from interactions.api import router as interactions_router
from retention.api import router as retention_router
from segmentation.api import router as segmentation_router
from service.api import router as service_router
from wealth.api import router as wealth_router
from work.api import router as work_router

DESCRIPTION = """
kehu's REST API. Everything here follows the same rules as the pages: you see the customers your
role and team allow, sensitive fields are masked for roles that may not see them, and every
change and every card you read is written to the audit trail (source "API").

**Authentication.** Create a personal token in your profile and send it as
`Authorization: Bearer kehu_…`. A logged-in browser session works too (e.g. on this page);
with a session, requests that change data must send the `X-CSRFToken` header.

**Lists** are paged with cursors: follow `next_cursor` (pass it as `cursor`, with the same `sort`)
until it is `null`.

**Errors** have one shape, `{"detail": …}`:

- `400` — the data was rejected by kehu's rules (or a bad cursor):
  `{"detail": [{"loc": ["body", "email"], "msg": "…", "type": "invalid"}]}`;
- `422` — the request does not match the schema (wrong type, too long, unknown or missing field,
  a whole number outside the 64-bit range, a body that is not JSON), same shape, `loc` = where
  (`body`, `query`, `path`) and the field; at most 20 items, then one that counts the rest;
- `413` — the body is too large;
- `401` no or bad token, `403` allowed to see but not to do this, `404` not found or not yours
  (the API never tells which; also any address that names no operation, e.g. an id that is not a
  whole number), `405` a method the address does not offer, `409` a conflicting concurrent change:
  `{"detail": "…"}`.

**Decimals** (amounts, prices, quantities) are JSON strings in plain notation, e.g. `"1234.50"`,
in answers; send them the same way (or as JSON numbers).

Messages follow `Accept-Language` (`zh-hans`, `en`) or the language set in your profile.
"""

api = KehuAPI(
    title="kehu API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    auth=api_auth,
)
install_error_handlers(api)
# Every operation runs as its authenticated user through the API door (audit source "api").
api.add_decorator(bind_actor)
# An integer no database column holds, or a text with a NUL character, is a 422 on every operation,
# not a 500 from the database.
api.add_decorator(reject_unstorable_values)
api.add_router("/", accounts_router)
api.add_router("/", customers_router)
api.add_router("/", commerce_router)
api.add_router("/", work_router)
api.add_router("/", interactions_router)
api.add_router("/", segmentation_router)
api.add_router("/", insights_router)
api.add_router("/", wealth_router)
api.add_router("/", service_router)
api.add_router("/", retention_router)
