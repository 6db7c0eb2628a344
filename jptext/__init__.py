"""The one Japanese text normaliser of the project (standard library only: Rasa, actions and gateway import it)."""

from jptext.normalize import fold, fold_kana, nfkc, nfkc_spans

__all__ = ["fold", "fold_kana", "nfkc", "nfkc_spans"]
