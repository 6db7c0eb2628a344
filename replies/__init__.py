"""Japanese answer texts composed from the knowledge base (no Rasa imports: testable on their own)."""
