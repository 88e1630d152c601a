"""Article → paragraphs the model can read whole.

Rules, in order:
1. The title, when there is one, is paragraph 0 (flagged ``is_title``) so it can be searched on its own.
2. The body is split at line breaks; blank lines carry no extra meaning.
3. A fragment under ``min_words`` words (a dateline, a subheading) is joined to the next paragraph, or to
   the previous one at the end of the article, so no vector stands for a scrap of text.
4. A paragraph over the model's token limit is cut at sentence ends, packing whole sentences into pieces
   under the limit; a single sentence over the limit is cut between tokens. No text is ever truncated.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .articles import Article, content_hash, tidy_text

# A sentence ends at . ! ? or …, perhaps followed by a closing quote or bracket, where white space comes
# before a capital, digit or opening quote. Only the white space is cut.
_NEXT = r"(?=[\"'“‘(\[]?[A-Z0-9])"
_SENTENCE_END = re.compile(rf"(?<=[.!?…])\s+{_NEXT}|(?<=[.!?…][\"'”’)\]])\s+{_NEXT}")


@dataclass(frozen=True)
class Paragraph:
    """One unit of search and clustering; ``hash`` identifies its normalised text across articles."""

    text: str
    position: int
    tokens: int
    is_title: bool = False

    @property
    def hash(self) -> str:
        return content_hash(self.text)


class ParagraphSplitter:
    """Split articles into paragraphs of at most ``max_tokens`` tokens.

    Parameters
    ----------
    count_tokens:
        Token counts for a batch of texts, as the embedding model counts them.
    token_spans:
        Character span of every token of one text, used only for sentences over the limit.
    max_tokens:
        The model's input limit without special tokens.
    min_words:
        Fragments shorter than this are merged into a neighbour.
    """

    def __init__(self, count_tokens: Callable[[Sequence[str]], list[int]],
                 token_spans: Callable[[str], list[tuple[int, int]]], max_tokens: int,
                 min_words: int = 8) -> None:
        self.count_tokens = count_tokens
        self.token_spans = token_spans
        self.max_tokens = max_tokens
        self.min_words = min_words

    def _merge_fragments(self, lines: list[str]) -> list[str]:
        merged: list[str] = []
        carry = ""
        for line in lines:
            text = f"{carry} {line}".strip()
            if len(text.split()) < self.min_words:
                carry = text
            else:
                merged.append(text)
                carry = ""
        if carry:
            if merged:
                merged[-1] = f"{merged[-1]} {carry}"
            else:
                merged.append(carry)
        return merged

    @property
    def window(self) -> int:
        """Characters tokenized at once: a text longer than this is certainly cut, so it is never
        tokenized whole (a megabyte line would hold a million tokens' offsets in memory at once)."""
        return 64 * self.max_tokens

    def _cut_tokens(self, text: str) -> list[str]:
        """Cut between tokens, backing off to a word start so no word is split in two; long texts are
        read a window at a time, the unfinished last piece of each window starting the next."""
        pieces: list[str] = []
        start = 0
        while start < len(text):
            stop = start + self.window
            limit = min(len(text), stop + self.window // 4)  # no space that far: cut inside the "word"
            while stop < limit and not text[stop].isspace():  # end the window between words
                stop += 1
            cut = self._cut_window(text[start:stop])
            if stop >= len(text) or len(cut) == 1:
                pieces += [text[start + a:start + b] for a, b in cut]
                start = stop
            else:
                pieces += [text[start + a:start + b] for a, b in cut[:-1]]
                start += cut[-1][0]
        return [p.strip() for p in pieces if p.strip()]

    def _cut_window(self, text: str) -> list[tuple[int, int]]:
        """(start, stop) of consecutive pieces of ``text`` of at most ``max_tokens`` tokens each."""
        spans = self.token_spans(text)
        bounds = []
        start = 0
        while start < len(spans):
            end = min(start + self.max_tokens, len(spans))
            if end < len(spans):
                back = end
                while back > start + 1 and not text[spans[back][0] - 1].isspace():
                    back -= 1
                end = back if back > start + 1 else end
            bounds.append((spans[start][0], spans[end][0] if end < len(spans) else len(text)))
            start = end
        return bounds

    def _counts(self, texts: Sequence[str]) -> list[int]:
        """Token counts, with texts over :attr:`window` characters counted as over the limit unread."""
        short = [t for t in texts if len(t) <= self.window]
        counted = iter(self.count_tokens(short))
        return [next(counted) if len(t) <= self.window else self.max_tokens + 1 for t in texts]

    def _fit(self, text: str, tokens: int) -> list[tuple[str, int]]:
        """Pack whole sentences greedily into pieces under the limit."""
        if tokens <= self.max_tokens:
            return [(text, tokens)]
        sentences = [s for s in _SENTENCE_END.split(text) if s.strip()]
        counts = self._counts(sentences)
        pieces: list[tuple[str, int]] = []
        current: list[str] = []
        for sentence, count in zip(sentences, counts):
            if count > self.max_tokens:
                if current:
                    pieces.append(self._measured(" ".join(current)))
                    current = []
                pieces.extend(self._measured(cut) for cut in self._cut_tokens(sentence))
                continue
            candidate = " ".join([*current, sentence])
            if current and self.count_tokens([candidate])[0] > self.max_tokens:
                pieces.append(self._measured(" ".join(current)))
                current = [sentence]
            else:
                current.append(sentence)
        if current:
            pieces.append(self._measured(" ".join(current)))
        return pieces

    def _measured(self, text: str) -> tuple[str, int]:
        return text, self.count_tokens([text])[0]

    def split(self, article: Article) -> list[Paragraph]:
        lines = [tidy_text(line) for line in article.text.splitlines()]
        blocks = self._merge_fragments([line for line in lines if line])
        title = tidy_text(article.title)
        texts = ([title] if title else []) + blocks
        paragraphs: list[Paragraph] = []
        for index, (text, tokens) in enumerate(zip(texts, self._counts(texts))):
            for piece, count in self._fit(text, tokens):
                paragraphs.append(Paragraph(piece, len(paragraphs), count, is_title=bool(title) and index == 0))
        return paragraphs
