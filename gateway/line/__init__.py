"""LINE Messaging API channel: signed webhook in, one reply per turn out."""
