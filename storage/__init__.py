"""Rasa's conversation storage with the privacy rules: redaction before saving, retention, text-free counts."""
