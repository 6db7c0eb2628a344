"""Message and token keys shared by the custom components."""

# Token.data keys set by SudachiTokenizer. "pos" is what Rasa's
# LexicalSyntacticFeaturizer reads.
POS_KEY = "pos"
READING_KEY = "reading"

# Message key holding the full text when SudachiTokenizer's
# `max_analysed_chars` shortened the message text.
ORIGINAL_TEXT_KEY = "original_text"
