package dev.dsire.daemon;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.File;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The launcher's Java client: sends the command line to the resident dsire process and replays its stdout,
 * stderr and exit code; replaces a stale one; runs {@code dsire daemon start|stop|status}. It loads no picocli
 * and no kernels, so it starts in a fraction of the full CLI's time. Exit {@link #NONE} or {@link #FALL_BACK},
 * before any output, tells the launcher to run the command in process instead.
 */
public final class DaemonClient {
    /** Nothing was printed and no daemon answered: the launcher runs the command in process. */
    public static final int FALL_BACK = 125;
    /**
     * Nothing was printed and no resident process of this identity listens: the launcher runs the command in
     * process and that process stays on as the resident one (DaemonServer.handOff). The native client uses it too.
     */
    public static final int NONE = 124;
    private static final long START_TIMEOUT_MS = 120_000;

    /** What came back from one exchange. */
    enum Outcome { DONE, REFUSED, LOST_BEFORE_OUTPUT, LOST_AFTER_OUTPUT }

    private final OutputStream stdout;
    private final OutputStream stderr;
    private boolean printed;
    private boolean outClosed, errClosed;
    private int code;

    DaemonClient(OutputStream stdout, OutputStream stderr) {
        this.stdout = stdout;
        this.stderr = stderr;
    }

    /** The exit code the last completed exchange brought back. */
    int code() {
        return code;
    }

    public static void main(String[] args) {
        DaemonClient c = new DaemonClient(new FileOutputStream(FileDescriptor.out), new FileOutputStream(FileDescriptor.err));
        Endpoint ep;
        try {
            ep = Endpoint.ofThisProcess();
        } catch (IOException | RuntimeException e) {
            System.exit(FALL_BACK);
            return;
        }
        String launcher = System.getProperty("dsire.launcher");
        for (String a : args) {
            if (a.equals("-") || a.endsWith("=-")) {
                System.exit(FALL_BACK); // a file list on standard input: the command reads it in process
            }
        }
        if (args.length == 2 && args[0].equals("daemon")) {
            System.exit(control(ep, args[1], launcher, List.of()));
        }
        // the launcher's start after a first call on one small file: the new process warms up on that file (and model)
        if ((args.length == 4 || args.length == 6 && args[4].equals("--model")) && args[0].equals("daemon")
                && args[1].equals("start") && args[2].equals("--warm")) {
            System.exit(control(ep, args[1], launcher, List.of(args).subList(3, args.length)));
        }
        System.exit(c.run(ep, args, launcher));
    }

    /**
     * Runs one command line through the daemon; the exit code, or NONE where none listens (a stale one has
     * been asked to leave), or FALL_BACK. It starts none: the first call answers in process and stays on.
     */
    int run(Endpoint ep, String[] args, String launcher) {
        for (int attempt = 0; attempt < 3; attempt++) {
            SocketChannel ch = connect(ep.socket());
            if (ch == null) {
                return launcher == null ? FALL_BACK : NONE;
            }
            Outcome o = exchange(ch, ep.identity(), args);
            switch (o) {
                case DONE -> {
                    return code;
                }
                case REFUSED -> awaitGone(ep.socket()); // a stale daemon (other jar or environment) is on its way out
                case LOST_BEFORE_OUTPUT -> {
                    return FALL_BACK;
                }
                case LOST_AFTER_OUTPUT -> {
                    new PrintStream(stderr, true).println("dsire: the resident process stopped before the command finished;"
                            + " run with DSIRE_DAEMON=0 to run it in process");
                    return 3;
                }
            }
        }
        return FALL_BACK;
    }

    /** Sends the request and copies the answer's frames to stdout and stderr. */
    Outcome exchange(SocketChannel ch, String identity, String[] args) {
        try (ch) {
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 16));
            out.writeInt(Frames.MAGIC);
            Frames.writeString(out, identity);
            // whether stdout and stderr are terminals (colours, progress bars), as the launcher found them
            String tty = System.getProperty("dsire.tty", "");
            out.writeBoolean(tty.contains("o"));
            out.writeBoolean(tty.contains("e"));
            out.writeInt(args.length);
            for (String a : args) {
                Frames.writeString(out, a);
            }
            out.flush();
            DataInputStream in = new DataInputStream(new BufferedInputStream(Channels.newInputStream(ch), 1 << 16));
            while (true) {
                byte kind = Frames.readKind(in);
                switch (kind) {
                    case Frames.OUT, Frames.ERR -> {
                        int n = in.readInt();
                        byte[] b = in.readNBytes(n);
                        if (b.length != n) {
                            throw new EOFException();
                        }
                        printed = true;
                        copy(kind == Frames.OUT ? stdout : stderr, b);
                    }
                    case Frames.EXIT -> {
                        code = in.readInt();
                        return Outcome.DONE;
                    }
                    case Frames.REFUSED -> {
                        return printed ? Outcome.LOST_AFTER_OUTPUT : Outcome.REFUSED;
                    }
                    default -> throw new IOException("unknown frame " + kind);
                }
            }
        } catch (IOException e) {
            return printed ? Outcome.LOST_AFTER_OUTPUT : Outcome.LOST_BEFORE_OUTPUT;
        }
    }

    /**
     * One frame to stdout or stderr. A closed one (`dsire ... | head -1`) is ignored, as the in-process
     * command's PrintWriter ignores it: the answer is still read to its exit code.
     */
    private void copy(OutputStream to, byte[] b) {
        boolean isOut = to == stdout;
        if (isOut ? outClosed : errClosed) {
            return;
        }
        try {
            to.write(b);
            to.flush();
        } catch (IOException closed) {
            if (isOut) {
                outClosed = true;
            } else {
                errClosed = true;
            }
        }
    }

    /** A connection to a daemon of this user on the socket, or null when none answers. */
    static SocketChannel connect(Path socket) {
        try {
            if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)) {
                return null;
            }
            Endpoint.requireOwned(socket); // never talk to a socket someone else put there
            return SocketChannel.open(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            return null;
        }
    }

    /** Whether a daemon of this user answers on the socket (the connection is closed again). */
    static boolean probe(Path socket) {
        SocketChannel ch = connect(socket);
        if (ch == null) {
            return false;
        }
        try {
            ch.close();
        } catch (IOException ignored) {
            // only probed
        }
        return true;
    }

    /**
     * Starts a daemon through the launcher ({@code dsire daemon start}), in its own session, and waits until it
     * answers; with {@code warm} (an adapter, then optionally {@code --model MODEL}) the daemon answers for that
     * adapter once before it serves, output discarded, so that its first call does not run cold code.
     */
    static SocketChannel start(Endpoint ep, String launcher, List<String> warm) {
        Process p;
        try {
            List<String> cmd = new ArrayList<>();
            if (Files.isExecutable(Path.of("/usr/bin/setsid"))) {
                cmd.add("/usr/bin/setsid"); // the terminal's Ctrl-C and hang-up stay with the command that asked
            }
            cmd.addAll(List.of(launcher, "__daemon", ep.socket().toString()));
            cmd.addAll(warm);
            File log = DaemonServer.logFile(ep.socket()).toFile();
            p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log)).start();
        } catch (IOException | RuntimeException e) {
            return null;
        }
        long deadline = System.currentTimeMillis() + START_TIMEOUT_MS;
        while (System.currentTimeMillis() < deadline) {
            SocketChannel ch = connect(ep.socket());
            if (ch != null) {
                return ch;
            }
            if (!p.isAlive() && !Files.exists(ep.socket())) {
                return connect(ep.socket()); // it exited: another client's daemon may have won the race
            }
            sleep(10);
        }
        return null;
    }

    /** A marker older than this is left from a start that died: it is taken over. */
    static final long STARTING_STALE_MS = 30_000;

    /**
     * Whether this process may start a resident process behind a first call: true where it created the marker
     * (or took over one older than {@link #STARTING_STALE_MS}, or cannot tell), false where another start holds it.
     */
    static boolean claimStart(Path marker, long now) {
        for (int attempt = 0; attempt < 2; attempt++) {
            try {
                Files.createFile(marker);
                return true;
            } catch (java.nio.file.FileAlreadyExistsException e) {
                try {
                    if (now - Files.getLastModifiedTime(marker).toMillis() < STARTING_STALE_MS) {
                        return false;
                    }
                    Files.deleteIfExists(marker);
                } catch (IOException gone) {
                    // removed meanwhile: try again
                }
            } catch (IOException | RuntimeException e) {
                return true; // no marker can be made here: start, as a plain `daemon start` would
            }
        }
        return false;
    }

    private static void awaitGone(Path socket) {
        for (int i = 0; i < 500 && Files.exists(socket, LinkOption.NOFOLLOW_LINKS); i++) {
            sleep(10);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** {@code dsire daemon start|stop|status}; {@code warm}: what a started daemon warms up on ({@link #start}), or empty. */
    static int control(Endpoint ep, String what, String launcher, List<String> warm) {
        PrintStream out = System.out;
        switch (what) {
            case "status" -> {
                SocketChannel ch = connect(ep.socket());
                if (ch == null) {
                    out.println("dsire daemon: not running for this jar and folder (" + ep.socket() + ")");
                    return 1;
                }
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // only probed
                }
                out.println("dsire daemon: running on " + ep.socket());
                return 0;
            }
            case "stop" -> {
                SocketChannel ch = connect(ep.socket());
                if (ch != null) {
                    new DaemonClient(OutputStream.nullOutputStream(), OutputStream.nullOutputStream())
                            .exchange(ch, ep.identity(), new String[] {Frames.STOP});
                    awaitGone(ep.socket());
                }
                out.println("dsire daemon: stopped (" + ep.socket() + ")");
                return 0;
            }
            case "start" -> {
                SocketChannel ch = connect(ep.socket());
                if (ch == null && launcher != null) {
                    if (!warm.isEmpty()) {
                        // started behind a first call: where a start behind an earlier one is under way, that process
                        // will serve, and a second JVM booting beside it would only slow the calls made meanwhile
                        Path marker = Endpoint.beside(ep.socket(), ".starting");
                        if (!claimStart(marker, System.currentTimeMillis())) {
                            return 0;
                        }
                        try {
                            ch = start(ep, launcher, warm);
                        } finally {
                            try {
                                Files.deleteIfExists(marker);
                            } catch (IOException ignored) {
                                // an old marker is taken over by age
                            }
                        }
                    } else {
                        ch = start(ep, launcher, warm);
                    }
                }
                if (ch == null) {
                    System.err.println("dsire daemon: could not start (log beside " + ep.socket() + ")");
                    return 3;
                }
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // only probed
                }
                out.println("dsire daemon: running on " + ep.socket());
                return 0;
            }
            default -> {
                System.err.println("dsire daemon: unknown action '" + what + "' (start, stop or status)");
                return 2;
            }
        }
    }
}
