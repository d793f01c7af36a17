package dev.dsire.daemon;

import dev.dsire.cli.Main;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

/**
 * The resident dsire process: runs command lines sent over its UNIX socket exactly as {@link Main#run} runs
 * them in a fresh process, one at a time (the command line's settings are process-wide), and exits when idle.
 * Its point is the JIT: compiled kernels stay compiled between calls.
 */
public final class DaemonServer implements AutoCloseable {
    /** How long the daemon waits for a command before it exits ($DSIRE_DAEMON_IDLE seconds). */
    public static final Duration DEFAULT_IDLE = Duration.ofMinutes(10);

    private final Path socket;
    private final String identity;
    private final ServerSocketChannel server;
    private final UserPrincipal owner;
    private final ReentrantLock running = new ReentrantLock();
    private volatile long lastUsed = System.nanoTime();
    private final AtomicBoolean closed = new AtomicBoolean();
    /** The start lock ({@link #claim}), held while serving; null for a server bound without it (tests). */
    private FileChannel lock;

    private DaemonServer(Path socket, String identity, ServerSocketChannel server) throws IOException {
        this.socket = socket;
        this.identity = identity;
        this.server = server;
        this.owner = Files.getOwner(socket);
        // loaded now, not at the first request: a rebuild rewrites the jar in place, and a process that had
        // never answered could then not even refuse a client of the new jar, and would stay, unusable, until idle
        Frames.stream(new DataOutputStream(java.io.OutputStream.nullOutputStream()), Frames.OUT).write(new byte[0], 0, 0);
    }

    /** Binds the socket (owner-only); throws if a live daemon already answers on it. */
    public static DaemonServer bind(Path socket, String identity) throws IOException {
        if (Files.exists(socket, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            boolean live;
            try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
                live = true;
            } catch (IOException refused) {
                live = false;
            }
            if (live) {
                throw new IOException("a dsire daemon already listens on " + socket);
            }
            Endpoint.requireOwned(socket);
            Files.delete(socket); // left by a process that died
        }
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        boolean bound = false;
        try {
            server.bind(UnixDomainSocketAddress.of(socket));
            bound = true;
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
            writeIdentity(socket, identity);
            return new DaemonServer(socket, identity, server);
        } catch (IOException | RuntimeException e) {
            server.close();
            if (bound) {
                Files.deleteIfExists(socket); // ours, and nobody will answer on it
            }
            throw e;
        }
    }

    /**
     * Binds the socket holding its start lock (dKEY.lock beside it), or answers null when another process
     * already listens there or is about to. The lock makes "is one live, remove a stale socket, bind" one step
     * for every process that would serve this socket (two first calls finishing together, a `dsire daemon
     * start` beside them): a loser never removes the socket a winner has just bound. The kernel releases it
     * when its holder dies, so a crashed process blocks nobody; {@link #close} releases it too.
     */
    static DaemonServer claim(Path socket, String identity, Duration patience) throws IOException {
        FileChannel ch = FileChannel.open(lockFile(socket), Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        long deadline = System.nanoTime() + patience.toNanos();
        try {
            while (true) {
                FileLock held;
                try {
                    held = ch.tryLock();
                } catch (OverlappingFileLockException sameProcess) {
                    held = null;
                }
                if (held != null) {
                    DaemonServer d;
                    try {
                        d = bind(socket, identity);
                    } catch (IOException live) {
                        if (DaemonClient.probe(socket)) {
                            return null; // one listening without the lock (an older build): it answers
                        }
                        throw live;
                    }
                    d.lock = ch;
                    ch = null;
                    return d;
                }
                // the holder binds within milliseconds of taking the lock; a live socket means it did
                if (DaemonClient.probe(socket) || System.nanoTime() > deadline) {
                    return null;
                }
                Thread.sleep(20);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } finally {
            if (ch != null) {
                ch.close();
            }
        }
    }

    static Path lockFile(Path socket) {
        return Endpoint.beside(socket, ".lock");
    }

    /** The identity beside the socket, owner-only, written aside and renamed: a reader never sees half of it. */
    private static void writeIdentity(Path socket, String identity) throws IOException {
        Path id = Endpoint.idFile(socket);
        Path tmp = Files.createTempFile(socket.getParent(), id.getFileName() + ".", ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            Files.writeString(tmp, identity, StandardCharsets.UTF_8);
            Files.move(tmp, id, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Serves until closed, told to stop, or idle for {@code idle}. */
    public void serve(Duration idle) {
        serve(idle, null);
    }

    /** Serves, and runs {@code whenIdle} once, on the first tick (within a second) when no command runs. */
    void serve(Duration idle, Runnable whenIdle) {
        Thread watch = Thread.ofPlatform().daemon().name("dsire-daemon-idle").start(() -> {
            Runnable once = whenIdle;
            while (server.isOpen()) {
                try {
                    Thread.sleep(Math.min(idle.toMillis(), 1000));
                } catch (InterruptedException e) {
                    return;
                }
                if (once != null && !running.isLocked()) {
                    once.run();
                    once = null;
                }
                if (!running.isLocked() && System.nanoTime() - lastUsed > idle.toNanos()) {
                    close();
                }
            }
        });
        try {
            while (server.isOpen()) {
                SocketChannel ch;
                try {
                    ch = server.accept();
                } catch (ClosedChannelException closed) {
                    break;
                } catch (IOException e) {
                    System.err.println("dsire daemon: accept failed: " + e.getMessage());
                    continue;
                }
                // each connection on its own thread so a client can be refused while a command runs; commands queue on the lock
                Thread.ofVirtual().start(() -> answer(ch));
            }
        } finally {
            watch.interrupt();
            close();
            running.lock(); // a command still running finishes before the process may exit
            running.unlock();
        }
    }

    private void answer(SocketChannel ch) {
        try (ch) {
            UnixDomainPrincipal peer = ch.getOption(ExtendedSocketOptions.SO_PEERCRED);
            if (!peer.user().equals(owner)) {
                return; // another user reached the socket despite its mode: say nothing
            }
            DataInputStream in = new DataInputStream(Channels.newInputStream(ch));
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 16));
            if (in.readInt() != Frames.MAGIC) {
                return;
            }
            String theirs = Frames.readString(in);
            boolean outTerminal = in.readBoolean(), errTerminal = in.readBoolean();
            int argc = in.readInt();
            if (argc < 0 || argc > 1 << 20) {
                return;
            }
            String[] args = new String[argc];
            for (int i = 0; i < argc; i++) {
                args[i] = Frames.readString(in);
            }
            if (!theirs.equals(identity) || (argc == 1 && args[0].equals(Frames.STOP))) {
                // a rebuilt jar or a changed environment: this process is stale, the client starts a fresh one
                Frames.write(out, Frames.REFUSED, new byte[0], 0, 0);
                close();
                return;
            }
            running.lock();
            try {
                Frames.exit(out, run(args, out, outTerminal, errTerminal));
            } finally {
                lastUsed = System.nanoTime();
                running.unlock();
            }
        } catch (IOException e) {
            // the client went away (interrupted by its user): nothing to answer
        }
    }

    /** One command line, as the in-process CLI runs it, its stdout and stderr sent as frames. */
    static int run(String[] args, DataOutputStream frames, boolean outTerminal, boolean errTerminal) {
        PrintWriter out = new PrintWriter(new OutputStreamWriter(Frames.stream(frames, Frames.OUT), StandardCharsets.UTF_8), true);
        PrintWriter err = new PrintWriter(new OutputStreamWriter(Frames.stream(frames, Frames.ERR), StandardCharsets.UTF_8), true);
        try {
            return Main.run(args, out, err, outTerminal, errTerminal);
        } catch (RuntimeException | Error e) { // Main.run handles a command's failures; this is the daemon's own
            err.println("dsire: internal error in the resident process: " + e);
            return Main.INTERNAL_ERROR;
        } finally {
            out.flush();
            err.flush();
        }
    }

    /**
     * Stops listening and removes the identity file and the socket; a running command finishes first. Only
     * the first call does anything: a later one must not remove what a successor daemon has written since.
     * A later call waits for the first to finish (synchronized), so when the serving loop's own close
     * returns, the socket is gone whichever thread started closing.
     */
    @Override
    public synchronized void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            Files.deleteIfExists(Endpoint.idFile(socket)); // first: a native client finds no identity, not a closed socket
        } catch (IOException ignored) {
            // the folder is owner-only; a stale file is replaced by the next daemon, and the socket is checked anyway
        }
        try {
            server.close();
        } catch (IOException ignored) {
            // closing: nothing left to do
        }
        try {
            Files.deleteIfExists(socket);
        } catch (IOException ignored) {
            // the folder is owner-only; a stale socket is replaced by the next daemon
        }
        if (lock != null) {
            try {
                lock.close(); // the socket is gone: a successor may bind now
            } catch (IOException ignored) {
                // released by the kernel when this process exits
            }
        }
    }

    /** {@code DaemonServer SOCKET}: the process the launcher starts for {@code dsire daemon start}. */
    public static void main(String[] args) throws IOException {
        Endpoint self = Endpoint.ofThisProcess();
        System.setProperty("dsire.resident", "true"); // predict keeps loaded models while their files are unchanged
        Path socket = args.length > 0 ? Path.of(args[0]) : self.socket();
        DaemonServer d;
        try {
            d = claim(socket, self.identity(), CLAIM_PATIENCE);
        } catch (IOException e) {
            System.err.println("dsire daemon: " + e.getMessage());
            System.exit(1);
            return;
        }
        if (d == null) {
            System.err.println("dsire daemon: another process already serves " + socket);
            System.exit(0); // the client that started this one finds that one
            return;
        }
        System.err.println("dsire daemon: listening on " + socket + " (pid " + ProcessHandle.current().pid() + ")");
        dev.dsire.spectra.CpuSpectrumBackend.primeVectorKernels(); // a process that stays: its next calls should not wait for the JIT
        if (args.length > 1) {
            warmUp(java.util.Arrays.copyOfRange(args, 1, args.length));
        }
        d.serve(idle());
        System.exit(0); // the command's pools are closed; nothing else should keep the process
    }

    /**
     * Answers once for the adapter a first call has just answered for (the launcher's start after a first call
     * on one small file: ADAPTER, or ADAPTER --model MODEL for predict), output discarded: {@code features}, or
     * {@code predict} with that model, which stays loaded. The path from file to answer is compiled before the
     * next call, as it is in a process that stayed on after answering. A file that fails only logs.
     */
    private static void warmUp(String[] warm) {
        long t0 = System.nanoTime();
        PrintWriter sink = new PrintWriter(java.io.Writer.nullWriter());
        String adapter = warm[0];
        String[] command = warm.length == 3 && warm[1].equals("--model")
                ? new String[] {"predict", "--model", warm[2], "--", adapter}
                : new String[] {"features", "--", adapter};
        int code = Main.run(command, sink, sink);
        System.err.printf("dsire daemon: warmed up on %s in %d ms (%s, exit %d)%n", adapter, (System.nanoTime() - t0) / 1_000_000, command[0], code);
    }

    /** How long a process that would serve waits for another one holding the start lock to bind. */
    private static final Duration CLAIM_PATIENCE = Duration.ofSeconds(10);

    private static Duration idle() {
        String idle = System.getenv("DSIRE_DAEMON_IDLE");
        return idle == null || idle.isBlank() ? DEFAULT_IDLE : Duration.ofSeconds(Long.parseLong(idle.trim()));
    }

    /** The first call's endpoint, worked out beside its command ({@link #prepare}); null until then. */
    private static volatile java.util.concurrent.FutureTask<Endpoint> prepared;

    /**
     * Called as a first call's command starts (Main, with the launcher's {@code dsire.handoff}): works out this
     * process's endpoint and loads what binding its socket takes, on a thread beside the command (its start-up
     * is one thread; a second core is mostly idle then), so that {@link #handOff} can bind before it lets the
     * launcher go: a script's next call, right behind this one, then finds the socket already listening.
     */
    public static void prepare() {
        java.util.concurrent.FutureTask<Endpoint> t = new java.util.concurrent.FutureTask<>(() -> {
            Endpoint e = Endpoint.ofThisProcess();
            UnixDomainSocketAddress.of(e.socket());
            ServerSocketChannel.open(StandardProtocolFamily.UNIX).close();
            Files.deleteIfExists(Files.createTempFile(e.socket().getParent(), "warm.", ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))));
            Files.getOwner(e.socket().getParent());
            return e;
        });
        Thread.ofPlatform().daemon().name("dsire-handoff-prepare").start(t);
        prepared = t;
    }

    /**
     * The first call's hand-off (docs/daemon.md, "The first call"): the launcher found no resident process and
     * ran the command in this process, which has now answered. This closes its standard streams (a caller
     * reading them, `$(dsire ...)`, sees their end now), binds the socket, tells the launcher the exit code on
     * {@code status} (a path naming the pipe the launcher reads, /proc/self/fd/N) so that it exits with it,
     * and then stays on as the resident process: detached from the terminal, its kernels already compiled by
     * the command it just ran. Where it cannot serve (another process serves, no socket folder) it exits
     * quietly; the caller has its answer either way. Returns only when the launcher could not be told, and the
     * caller then exits as usual.
     */
    public static void handOff(int code, String status) {
        System.out.flush();
        System.err.flush();
        // From here until setsid this process is still in the terminal's foreground group, whose session may end
        // as soon as the launcher exits (`ssh -t host dsire ...`: a hang-up for the whole group). The answer is
        // complete, so the terminal's signals are ignored until this process has a session of its own.
        sun.misc.SignalHandler[] before = {ignore("HUP"), ignore("INT")};
        try (FileOutputStream out = new FileOutputStream(FileDescriptor.out); FileOutputStream err = new FileOutputStream(FileDescriptor.err);
                FileInputStream in = new FileInputStream(FileDescriptor.in)) {
            // closing 0, 1 and 2 points them at /dev/null (the JDK never frees those numbers), so no reader of
            // the caller's pipes waits on this process
        } catch (IOException ignored) {
            // already closed
        }
        long answered = System.nanoTime();
        Endpoint self = null;
        DaemonServer d = null;
        Throwable why = null;
        try {
            self = prepared != null ? prepared.get(5, java.util.concurrent.TimeUnit.SECONDS) : Endpoint.ofThisProcess();
            System.setProperty("dsire.resident", "true");
            // one try before the launcher goes: a start lock held by another process means waiting, which is not
            // the caller's to pay for; this process waits for it after, below
            d = claim(self.socket(), self.identity(), Duration.ZERO);
        } catch (Exception | Error e) {
            why = e instanceof java.util.concurrent.ExecutionException x && x.getCause() != null ? x.getCause() : e;
        }
        long bound = System.nanoTime();
        try (FileOutputStream st = new FileOutputStream(status)) {
            st.write((code + "\n").getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            if (d != null) {
                d.close(); // the launcher waits for this process's exit code instead
            }
            return;
        }
        int exit = 0;
        try {
            if (self == null) {
                throw why instanceof IOException io ? io : new IOException(String.valueOf(why));
            }
            if (d == null && !DaemonClient.probe(self.socket())) {
                d = claim(self.socket(), self.identity(), CLAIM_PATIENCE);
            }
            System.setErr(new PrintStream(new FileOutputStream(logFile(self.socket()).toFile(), true), true, StandardCharsets.UTF_8));
            if (d != null) {
                // the kernels' vector twins, compiled beside the next calls rather than in the middle of one
                dev.dsire.spectra.CpuSpectrumBackend.primeVectorKernels();
                System.err.printf("dsire daemon: listening on %s (pid %d, stayed on after answering the first call; listening %d ms"
                        + " after the answer)%n", self.socket(), ProcessHandle.current().pid(), (bound - answered) / 1_000_000);
                // setsid through the FFM API costs a cold process ~0.1 s of CPU: done when no command runs, so
                // that a script's next call, right behind the first, does not share the cores with it; the
                // terminal's signals stay ignored until then
                d.serve(idle(), () -> {
                    if (detach()) {
                        restore("HUP", before[0]);
                        restore("INT", before[1]);
                    }
                });
            }
        } catch (IOException | RuntimeException e) {
            System.err.println("dsire daemon: not staying on after the first call: " + e);
            exit = 1;
        }
        System.exit(exit);
    }

    static Path logFile(Path socket) {
        return Endpoint.beside(socket, ".log");
    }

    /**
     * A session of its own (setsid), so the terminal's Ctrl-C and hang-up, meant for whatever the user runs
     * next in it, never reach this process; false where that failed (the two signals then stay ignored).
     */
    private static boolean detach() {
        try {
            java.lang.foreign.Linker linker = java.lang.foreign.Linker.nativeLinker();
            java.lang.invoke.MethodHandle setsid = linker.downcallHandle(linker.defaultLookup().find("setsid").orElseThrow(),
                    java.lang.foreign.FunctionDescriptor.of(java.lang.foreign.ValueLayout.JAVA_INT));
            return (int) setsid.invokeExact() >= 0;
        } catch (Throwable e) {
            return false; // no native access
        }
    }

    /** Ignores the signal; its handler before, or null where it cannot be handled here. */
    private static sun.misc.SignalHandler ignore(String name) {
        try {
            return sun.misc.Signal.handle(new sun.misc.Signal(name), sun.misc.SignalHandler.SIG_IGN);
        } catch (IllegalArgumentException e) {
            return null; // reserved by the JVM (-Xrs) or not a signal here
        }
    }

    private static void restore(String name, sun.misc.SignalHandler before) {
        if (before != null) {
            sun.misc.Signal.handle(new sun.misc.Signal(name), before);
        }
    }
}
