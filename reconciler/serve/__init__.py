"""``storplan serve``: the Python API over HTTPS, described by OpenAPI 3.1.

Imported only by the ``serve`` command (Starlette and uvicorn are the optional extra
``storplan[serve]``).  Modules: :mod:`.config` (serve.yaml), :mod:`.tokens` (hashed bearer
tokens), :mod:`.auth` (identities, scopes, per-array authorization, failed-login limits),
:mod:`.modelschema` (JSON Schema from the model dataclasses and the catalogue),
:mod:`.openapi` (the document), :mod:`.problems` (RFC 9457 errors), :mod:`.arrays` (one
session per configured array), :mod:`.resources` (reads and catalogue operations),
:mod:`.plans` (plans, applies, journal), :mod:`.app` (the Starlette application) and
:mod:`.server` (TLS and uvicorn).
"""
