/**
 * The embedding example as a module: {@code requires org.vim4j} is all it takes (vim4j's native jar is found through
 * its service, and java.desktop, for images, comes with org.vim4j). The same code runs from the class path.
 */
module org.vim4j.example.embedding {
    requires org.vim4j;
}
