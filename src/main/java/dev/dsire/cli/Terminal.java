package dev.dsire.cli;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Whether standard output or standard error is a terminal. System.console() answers for stdin and
 * stdout together; progress goes to stderr, which a user may redirect on its own, so ask the C library.
 */
final class Terminal {
    private Terminal() {}

    static final int STDOUT = 1;
    static final int STDERR = 2;

    static boolean isTerminal(int fd) {
        // the launcher filters stderr through a pipe (to drop the JVM's incubator warning) and says here what it was
        String told = fd == STDERR ? System.getenv("DSIRE_STDERR_TERMINAL") : null;
        if (told != null && !told.isEmpty()) {
            return told.equals("1");
        }
        try {
            Linker linker = Linker.nativeLinker();
            MethodHandle isatty = linker.downcallHandle(linker.defaultLookup().find("isatty").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
            return (int) isatty.invokeExact(fd) == 1;
        } catch (Throwable t) { // no C library to ask (or not allowed): treat as a log, which is always safe
            return false;
        }
    }
}
