"""Custom Rasa 3.6 graph components for Japanese NLU (tokenizer, privacy override)."""
