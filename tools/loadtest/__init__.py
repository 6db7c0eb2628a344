"""Load harness (``make loadtest``): the stock ``rasa init`` bot, ``make run`` and ``make run-scaled`` in one run.

Run as ``python -m tools.loadtest`` with the Rasa virtualenv (aiohttp drives the HTTP load); see docs/loadtest.md.
"""
