package dev.dsire.cli;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

/** Terminal's cheap answers: the launcher's word, and what a /proc/self/fd link names (a real pty: ProgressTerminalTest). */
class TerminalTest {
    @Test
    void theLaunchersWordIsTakenAsGiven() {
        assertEquals(Boolean.TRUE, Terminal.told("1"));
        assertEquals(Boolean.FALSE, Terminal.told("0"));
        assertNull(Terminal.told(null));
        assertNull(Terminal.told(""));
    }

    @Test
    void linksNameTerminalsPipesFilesAndDevices() {
        for (String tty : new String[] {"/dev/pts/3", "/dev/tty", "/dev/tty1", "/dev/ttyS0", "/dev/console"}) {
            assertEquals(Boolean.TRUE, Terminal.ofLink(tty), tty);
        }
        for (String not : new String[] {"pipe:[12345]", "socket:[99]", "anon_inode:[eventfd]", "/tmp/out.txt", "/tmp/out.txt (deleted)",
                "/dev/null", "/dev/zero", "/dev/full", "/dev/urandom", "/dev/shm/x", "/home/u/dev/pts/1"}) {
            assertEquals(Boolean.FALSE, Terminal.ofLink(not), not);
        }
        assertNull(Terminal.ofLink("/dev/hvc0"), "another device: only isatty can tell");
    }

    @Test
    void aRedirectedStreamIsNoTerminal() {
        // under the test runner stdout and stderr are pipes or files, never terminals, and no launcher spoke
        if (System.getenv("DSIRE_STDOUT_TERMINAL") == null) {
            assertFalse(Terminal.isTerminal(Terminal.STDOUT));
        }
    }
}
