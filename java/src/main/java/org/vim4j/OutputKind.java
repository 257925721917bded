package org.vim4j;

/** What a forward pass returns. */
public enum OutputKind {
    /** Classifier logits, (batch, classes). */
    LOGITS,
    /** The final-normed middle class token, (batch, D): the image feature the head reads. */
    CLS,
    /** Every final-normed token in sequence order (class token at M/2), (batch, tokens, D): for dense tasks. */
    TOKENS
}
