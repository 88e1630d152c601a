"""Paragraph splitting with the real model's tokenizer: merging scraps, never truncating."""

from __future__ import annotations

from index import Article, Embedder, ParagraphSplitter


def splitter(embedder: Embedder, max_tokens: int | None = None) -> ParagraphSplitter:
    return ParagraphSplitter(embedder.count_tokens, embedder.token_spans, max_tokens or embedder.max_tokens)


def test_title_first_and_short_fragments_merged(embedder: Embedder):
    article = Article(title="Storm warning", text="LONDON (Wire) -\nGales of up to 90 mph are expected across the "
                      "north tonight, forecasters said.\n\n\nTrains were cancelled in several regions as a "
                      "precaution against falling trees.\nMore soon.")
    paragraphs = splitter(embedder).split(article)
    assert [p.is_title for p in paragraphs] == [True, False, False]
    assert [p.position for p in paragraphs] == [0, 1, 2]
    assert paragraphs[1].text.startswith("LONDON (Wire) - Gales")
    assert paragraphs[2].text.endswith("falling trees. More soon.")


def test_long_paragraph_cut_at_sentences_without_losing_text(embedder: Embedder):
    sentences = [f"Sentence number {i} reports that the committee met again to discuss the budget." for i in range(60)]
    article = Article(title="", text=" ".join(sentences))
    paragraphs = splitter(embedder).split(article)
    assert len(paragraphs) > 1
    assert all(p.tokens <= embedder.max_tokens for p in paragraphs)
    assert all(p.text.endswith("budget.") for p in paragraphs)
    assert " ".join(p.text for p in paragraphs) == article.text


def test_sentence_longer_than_the_limit_is_cut_between_tokens(embedder: Embedder):
    words = " ".join(f"word{i}" for i in range(400))
    paragraphs = splitter(embedder, max_tokens=64).split(Article(title="", text=words))
    assert len(paragraphs) > 2
    assert all(p.tokens <= 64 for p in paragraphs)
    assert " ".join(p.text for p in paragraphs).split() == words.split()


def test_identical_text_has_identical_hash(embedder: Embedder):
    one = splitter(embedder).split(Article(title="", text="The same  paragraph appears in two articles today."))
    two = splitter(embedder).split(Article(title="", text="The same paragraph appears in two articles today. "))
    assert one[0].hash == two[0].hash


def test_sentence_cuts_keep_closing_quotes_and_brackets(embedder: Embedder):
    text = " ".join(['The minister said "We will not resign." Reporters asked again (twice.) Nobody answered.'] * 30)
    paragraphs = splitter(embedder, max_tokens=40).split(Article(title="", text=text))
    assert len(paragraphs) > 1
    assert " ".join(p.text for p in paragraphs) == text



def test_text_is_stored_as_written_and_identified_by_its_normal_form(new_store):
    store = new_store()
    written = "The ceasefire held for 2 ½ days… then the shelling began again across the northern front line."
    store.add([Article(id="a", title="", text=written)])
    store.add([Article(id="b", title="", text=written.replace("½", "1⁄2").replace("…", "..."))])
    texts = {link.article.id: link.text for link in store.links(article_ids=["a", "b"])}
    assert texts["a"] == written and texts["b"] == written  # one paragraph, as first written
    assert store.stats().vectors == 1
