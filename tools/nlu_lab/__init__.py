"""NLU evaluation harness: data splits, pipelines under test, metrics, report."""
