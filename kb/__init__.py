"""Query library over the YAML knowledge base in `knowledge/` (no I/O at import time).

`kb.models` and `kb.directory` (city names and contacts) need only the standard library and PyYAML, so the
gateway's virtualenv can import them; `kb.store` (the validated `KnowledgeBase`) also needs jsonschema and jpholiday.
"""
