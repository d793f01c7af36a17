package dev.dsire.daemon;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where a resident dsire process listens and what it must be to answer: one per user, jar and working
 * directory. The working directory is part of the key because a JVM cannot change its own: relative paths
 * (and the PEFT config found beside a file) resolve against it, so a process started elsewhere would
 * answer for the wrong files.
 *
 * @param socket the UNIX socket, in a folder only its owner can enter
 * @param identity the jar (path, size, modification time), working directory, Java runtime and the
 *     environment variables dsire reads: a process started under another identity does not answer
 */
public record Endpoint(Path socket, String identity) {
    /** The environment dsire's commands read (CUDA discovery, caches, locale): a change means a fresh process. */
    static final List<String> ENV = List.of("DSIRE_CUDA_DEVICE", "CUDA_HOME", "CUDA_PATH", "CUDA_VISIBLE_DEVICES",
            "LD_LIBRARY_PATH", "XDG_CACHE_HOME", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "LC_NUMERIC", "TZ",
            "DSIRE_JAVA_OPTS", "DSIRE_AOT");
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rwx------");

    /** This process's endpoint: its jar, its working directory, its environment. */
    public static Endpoint ofThisProcess() throws IOException {
        Path jar;
        try {
            jar = Path.of(Endpoint.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException | RuntimeException e) {
            throw new IOException("cannot locate dsire's jar: " + e.getMessage());
        }
        return of(runtimeDir(System.getenv()), jar, System.getProperty("user.dir"), System.getenv());
    }

    static Endpoint of(Path dir, Path jar, String cwd, Map<String, String> env) throws IOException {
        StringBuilder id = new StringBuilder("jar=").append(jar)
                .append(" size=").append(Files.size(jar))
                .append(" mtime=").append(Files.getLastModifiedTime(jar).toMillis())
                .append(" cwd=").append(cwd)
                .append(" java=").append(System.getProperty("java.home"));
        for (String k : ENV) {
            id.append(' ').append(k).append('=').append(env.getOrDefault(k, ""));
        }
        String key = sha256(jar + "\0" + cwd).substring(0, 20);
        return new Endpoint(ownedFolder(dir).resolve("d" + key + ".sock"), id.toString());
    }

    /**
     * Where the resident process on {@code socket} writes its identity (dKEY.id beside dKEY.sock): the native
     * client (native/dsire-client.c) talks to it only when this file holds exactly the identity it computed,
     * so a client that computed it differently takes the Java client's path instead of making the process exit.
     */
    static Path idFile(Path socket) {
        return beside(socket, ".id");
    }

    /** The file beside the socket with its name and this extension in place of .sock (its identity, start lock, log). */
    static Path beside(Path socket, String extension) {
        String name = socket.getFileName().toString();
        return socket.resolveSibling((name.endsWith(".sock") ? name.substring(0, name.length() - 5) : name) + extension);
    }

    /** $XDG_RUNTIME_DIR/dsire (a per-user tmpfs) where the session has one, else ~/.cache/dsire/run. */
    static Path runtimeDir(Map<String, String> env) {
        String xdg = env.get("XDG_RUNTIME_DIR");
        if (xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute() && Files.isDirectory(Path.of(xdg))) {
            return Path.of(xdg, "dsire");
        }
        return Path.of(System.getProperty("user.home"), ".cache", "dsire", "run");
    }

    /** The folder, created owner-only if missing; refused if someone else owns it. */
    static Path ownedFolder(Path dir) throws IOException {
        Files.createDirectories(dir.getParent());
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            try {
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
            } catch (java.nio.file.FileAlreadyExistsException raced) {
                // another dsire created it a moment ago: checked below like any existing folder
            }
        }
        requireOwned(dir);
        if (!Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS).equals(OWNER_ONLY)) {
            Files.setPosixFilePermissions(dir, OWNER_ONLY);
        }
        return dir;
    }

    /** Throws unless this process's user owns the path (not followed if it is a link). */
    static void requireOwned(Path p) throws IOException {
        Object owner = Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
        if (!owner.equals(uid())) {
            throw new IOException(p + " belongs to uid " + owner + ", not to this user");
        }
    }

    /** This process's user id: the owner of /proc/self on Linux. */
    static Object uid() throws IOException {
        return Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
