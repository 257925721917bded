package org.vim4j.natives;

import java.io.InputStream;

import org.vim4j.bindings.spi.NativeBundle;

/**
 * This jar's native libraries ({@code org/vim4j/native/<platform>/}: {@code libvim4j.so}, {@code libvim4j_cuda.so},
 * {@code vim4j-native.properties}), opened through this class so that its own class loader and module find them.
 */
public final class BundledLibraries implements NativeBundle {
    /** The service constructor (called by {@link java.util.ServiceLoader}). */
    public BundledLibraries() {
    }

    @Override
    public InputStream open(String path) {
        if (path.startsWith("/") || path.contains("..")) {
            throw new IllegalArgumentException("a path under org/vim4j/native/ expected, got " + path);
        }
        return BundledLibraries.class.getResourceAsStream("/org/vim4j/native/" + path);
    }
}
