"""Local stand-ins for Rasa and the LINE Messaging API, served on 127.0.0.1 only."""
