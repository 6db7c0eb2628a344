"""The one Japanese text normaliser of the project (standard library only: Rasa, actions and gateway import it)."""

from jptext.normalize import CharCache, fold, fold_kana, nfkc, nfkc_spans

__all__ = ["CharCache", "fold", "fold_kana", "nfkc", "nfkc_spans"]
