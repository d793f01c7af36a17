package dev.dsire.cli;

import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whether standard output or standard error is a terminal. System.console() answers for stdin and
 * stdout together; progress goes to stderr, which a user may redirect on its own, so ask per stream:
 * what the launcher says (it knows from the shell's {@code [ -t N ]}), else what the stream's
 * /proc/self/fd link names, and only where that cannot tell, the C library's isatty. Binding isatty
 * through FFM costs a cold JVM some 40–50 ms (about 120 classes loaded and spun), more than the
 * whole rest of the start-up path before the command runs; the other two cost microseconds.
 */
final class Terminal {
    private Terminal() {}

    static final int STDOUT = 1;
    static final int STDERR = 2;

    static boolean isTerminal(int fd) {
        // the launcher filters stderr through a pipe (to drop the JVM's incubator warning) and says here what it was
        Boolean told = told(System.getenv(fd == STDERR ? "DSIRE_STDERR_TERMINAL" : "DSIRE_STDOUT_TERMINAL"));
        if (told != null) {
            return told;
        }
        Boolean linked = null;
        try {
            linked = ofLink(Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString());
        } catch (IOException | UnsupportedOperationException | SecurityException noProc) {
            // not Linux (or no /proc): ask the C library
        }
        return linked != null ? linked : isatty(fd);
    }

    /** "1" or "0" from the launcher; null when it did not say. */
    static Boolean told(String value) {
        return value == null || value.isEmpty() ? null : value.equals("1");
    }

    /**
     * Whether a /proc/self/fd link names a terminal: a pseudo-terminal, a virtual console or the console
     * are; a pipe, a socket, a file outside /dev and the data devices are not; null for any other device,
     * which only isatty can judge.
     */
    static Boolean ofLink(String target) {
        if (target.startsWith("/dev/pts/") || target.startsWith("/dev/tty") || target.equals("/dev/console")) {
            return true;
        }
        if (!target.startsWith("/dev/") || target.startsWith("/dev/shm/")
                || switch (target) { case "/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom" -> true; default -> false; }) {
            return false; // pipe:[…], socket:[…], anon_inode:…, a file (deleted or not), a data device
        }
        return null;
    }

    private static boolean isatty(int fd) {
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
