package org.vim4j.io;

/** Limits on the tensor shapes a weight or array file may declare, shared by every format reader. */
public final class Shapes {
    /** torch allows 64 dimensions at most (c10's MAX_DIMS-style limit); more is a corrupt file. */
    public static final int MAX_RANK = 64;

    private Shapes() {
    }
}
