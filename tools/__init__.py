"""Project tools that are not part of the bot: checkers run by the Makefile."""
