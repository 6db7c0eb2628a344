"""The staff console (CONTRACT §8): daily figures, unanswered questions, ratings and source pages for city staff.

Its own process (``python -m console``, started by make run and make run-scaled) on 127.0.0.1:8081; it reads the
tracker database (SQLite or PostgreSQL) and never writes to it.
"""
