package dev.dsire.daemon;

import dev.dsire.cli.Main;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
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

    private DaemonServer(Path socket, String identity, ServerSocketChannel server) throws IOException {
        this.socket = socket;
        this.identity = identity;
        this.server = server;
        this.owner = Files.getOwner(socket);
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
        Thread watch = Thread.ofPlatform().daemon().name("dsire-daemon-idle").start(() -> {
            while (server.isOpen()) {
                try {
                    Thread.sleep(Math.min(idle.toMillis(), 1000));
                } catch (InterruptedException e) {
                    return;
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
    }

    /** {@code DaemonServer SOCKET}: the process the launcher starts for a client that found none. */
    public static void main(String[] args) throws IOException {
        Endpoint self = Endpoint.ofThisProcess();
        System.setProperty("dsire.resident", "true"); // predict keeps loaded models while their files are unchanged
        Path socket = args.length > 0 ? Path.of(args[0]) : self.socket();
        String idle = System.getenv("DSIRE_DAEMON_IDLE");
        DaemonServer d;
        try {
            d = bind(socket, self.identity());
        } catch (IOException e) {
            System.err.println("dsire daemon: " + e.getMessage());
            System.exit(1);
            return;
        }
        System.err.println("dsire daemon: listening on " + socket + " (pid " + ProcessHandle.current().pid() + ")");
        d.serve(idle == null || idle.isBlank() ? DEFAULT_IDLE : Duration.ofSeconds(Long.parseLong(idle.trim())));
        System.exit(0); // the command's pools are closed; nothing else should keep the process
    }
}
