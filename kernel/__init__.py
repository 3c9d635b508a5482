"""The shared kernel: what harvesters, normalisers, scoring, the index and the API all use.

Why a package of its own: the sources file's schema, the HTTP layer and the record types used to live in
``harvesters/`` although scoring (the link checker), the store and the API import them too; here their home says what
they are, and nothing in it depends on a stage downstream (the sources file checks each type's options through the
harvester registry, imported lazily, only when a file is validated).
"""
