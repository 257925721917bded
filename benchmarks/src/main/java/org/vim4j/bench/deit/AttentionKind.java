package org.vim4j.bench.deit;

/** How DeiT's softmax attention is evaluated; both give the same result up to rounding. */
public enum AttentionKind {
    /** As the paper's DeiT computed it: the whole (batch, heads, L, L) score matrix is materialised, then softmax, then
     *  times V. Memory grows with L squared. */
    FULL,
    /** Key blocks with an online (running max and sum) softmax, so only a small tile of scores exists per thread:
     *  memory linear in L, the same arithmetic. */
    TILED;

    public String id() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
