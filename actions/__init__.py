"""Custom actions of the PIN help bot, split by responsibility (see docs/ARCHITECTURE.md)."""
