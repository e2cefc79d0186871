"""The records layer: the generic pages, API operations and test suite of records that belong to a
customer (contacts, costs, interactions, and every later domain's records).

A domain declares each kind of record once and writes its services; the layer does the rest:

- ``base.RecordKind``: the model and its create/update/delete services (both doors use it);
- ``views.RecordPages``: add, edit, delete, list and detail pages from a form and templates;
- ``api.record_api``: list (keyset pages), read, create, update (PATCH, and PUT where declared) and
  delete operations on a django-ninja router;
- ``testing.RecordSuite``: the standard tests of one kind (anonymous, out of scope, no right,
  writes through the services with audit rows, exact query counts);
- ``access``: ``customer_or_404`` and ``record_or_404``, the one 404/403 answer.

docs/records.md walks through declaring a kind; docs/decisions/0007-records-layer.md says why.
"""
