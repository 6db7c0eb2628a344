"""Public gateway: web chat API, embeddable widget and LINE webhook in front of the Rasa server."""
