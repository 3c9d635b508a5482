"""Local demo portals: small HTTP servers on 127.0.0.1 that serve recorded catalog responses.

Used by `make demo` (on the data in demo/data/, which lives in the project) and by the tests (on the same data and on
../shared/fixtures/). Each portal type emulates just enough of its protocol (paging, filters, conditional GET) to be
harvested over real HTTP.
"""
