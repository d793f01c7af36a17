package dev.dsire.cli;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;

import org.junit.jupiter.api.Test;

/** The preload thread names classes by string: a renamed or moved class must fail here, not silently stop being preloaded. */
class ClassPreloadTest {
    @Test
    void everyPreloadedClassExists() {
        for (String name : ClassPreload.CLASSES) {
            assertDoesNotThrow(() -> Class.forName(name, false, ClassPreload.class.getClassLoader()), name);
        }
    }
}
