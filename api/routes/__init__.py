"""The API's routers, one module per resource: datasets (search, records, DCAT-AP by content negotiation), sources
and their harvest jobs, the Hydra-paged catalog, and the small HTML pages. Shared plumbing (the store, the index,
content negotiation, the public base URL) is in :mod:`api.routes.deps`; response models in :mod:`api.routes.models`.
"""
