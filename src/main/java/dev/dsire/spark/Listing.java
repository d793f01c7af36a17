package dev.dsire.spark;

import dev.dsire.lora.LoraReader;
import java.io.BufferedReader;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The files to scan, listed on the driver through Hadoop's FileSystem (local, HDFS, S3A...): folders
 * are walked with listStatus (on the local filesystem, listFiles forks a process per file), and any
 * other input file is a manifest of paths, one a line. A path that cannot be listed or stat'ed
 * becomes an entry with a problem, which the job writes as an error row; so does a link that
 * leads nowhere (dangling, or looping back to itself), which Hadoop's listing leaves out, as the
 * local scan records it. A file reached twice (listed twice, through {@code ..} or a link, or under
 * an input given twice) is listed once: by its real path on the local filesystem.
 */
final class Listing {
    static final StructType SCHEMA = DataTypes.createStructType(List.of(
            DataTypes.createStructField("path", DataTypes.StringType, false),
            DataTypes.createStructField("size", DataTypes.LongType, false),
            DataTypes.createStructField("mtime", DataTypes.LongType, false),
            DataTypes.createStructField("problem", DataTypes.StringType, true)));

    private Listing() {}

    static List<Row> list(List<String> inputs, Configuration conf) throws IOException {
        return distinct(all(inputs, conf));
    }

    private static List<Row> all(List<String> inputs, Configuration conf) throws IOException {
        List<Row> out = new ArrayList<>();
        for (String in : inputs) {
            Path p = new Path(in);
            FileSystem fs = p.getFileSystem(conf);
            FileStatus st;
            try {
                st = fs.getFileStatus(p);
            } catch (FileNotFoundException e) {
                throw new IllegalArgumentException(in + " does not exist");
            }
            if (st.isDirectory()) {
                walk(fs, st.getPath(), out);
            } else if (isCandidate(st.getPath())) {
                out.add(found(st));
            } else {
                manifest(fs, p, conf, out);
            }
        }
        return out;
    }

    private static void walk(FileSystem fs, Path root, List<Row> out) {
        Deque<Path> dirs = new ArrayDeque<>(List.of(root));
        while (!dirs.isEmpty()) {
            Path dir = dirs.pop();
            FileStatus[] entries;
            try {
                entries = fs.listStatus(dir);
            } catch (IOException e) {
                out.add(problem(dir, "unreadable: " + e.getClass().getSimpleName().replace("Exception", "")));
                continue;
            }
            Set<String> listed = new HashSet<>();
            for (FileStatus e : entries) {
                listed.add(e.getPath().getName());
                if (e.isDirectory()) {
                    dirs.push(e.getPath());
                } else if (isCandidate(e.getPath())) {
                    out.add(e.isFile() ? found(e) : problem(e.getPath(), "not a regular file"));
                }
            }
            unlisted(dir, listed, out);
        }
    }

    /** Local links Hadoop's listing skipped because they lead nowhere: error rows, as the local scan gives them. */
    private static void unlisted(Path dir, Set<String> listed, List<Row> out) {
        String scheme = dir.toUri().getScheme();
        if (scheme != null && !scheme.equals("file")) {
            return;
        }
        try (DirectoryStream<java.nio.file.Path> s = Files.newDirectoryStream(java.nio.file.Path.of(dir.toUri().getPath()))) {
            for (java.nio.file.Path p : s) {
                String n = p.getFileName().toString();
                if (!listed.contains(n) && Files.isSymbolicLink(p) && !Files.exists(p) && isCandidate(new Path(n))) {
                    out.add(problem(new Path(dir, n), "broken symbolic link"));
                }
            }
        } catch (IOException | RuntimeException e) {
            // the folder was listed; what it alone cannot show stays unshown
        }
    }

    /**
     * Each file once, in first-seen order. Local files are compared by real path (links and ..
     * resolved), others by their qualified path.
     */
    private static List<Row> distinct(List<Row> rows) {
        Set<String> seen = new HashSet<>();
        List<Row> out = new ArrayList<>(rows.size());
        for (Row r : rows) {
            if (seen.add(key(r.getString(0)))) {
                out.add(r);
            }
        }
        return out;
    }

    private static String key(String name) {
        if (!name.startsWith("/")) {
            return name; // a URI of another filesystem
        }
        java.nio.file.Path p = java.nio.file.Path.of(name);
        try {
            return p.toRealPath().toString();
        } catch (IOException | RuntimeException e) {
            return p.toAbsolutePath().normalize().toString();
        }
    }

    private static void manifest(FileSystem fs, Path manifest, Configuration conf, List<Row> out) throws IOException {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(fs.open(manifest), StandardCharsets.UTF_8))) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                String s = line.strip();
                if (s.isEmpty() || s.startsWith("#")) {
                    continue;
                }
                Path p = new Path(s);
                try {
                    FileStatus st = p.getFileSystem(conf).getFileStatus(p);
                    out.add(st.isFile() ? found(st) : problem(p, "not a regular file"));
                } catch (FileNotFoundException e) {
                    out.add(problem(p, "listed in " + manifest.getName() + " but missing"));
                } catch (IOException e) {
                    out.add(problem(p, "unreadable: " + e.getClass().getSimpleName().replace("Exception", "")));
                }
            }
        }
    }

    static boolean isCandidate(Path p) {
        String n = p.getName().toLowerCase(Locale.ROOT);
        return n.endsWith(".safetensors") || LoraReader.isPickleName(java.nio.file.Path.of(p.getName()));
    }

    private static Row found(FileStatus st) {
        return RowFactory.create(name(st.getPath()), st.getLen(), st.getModificationTime(), null);
    }

    private static Row problem(Path p, String why) {
        return RowFactory.create(name(p), -1L, 0L, why);
    }

    /** Local files are named by their plain path, as the local scan names them; others by their URI. */
    static String name(Path p) {
        String scheme = p.toUri().getScheme();
        return scheme == null || scheme.equals("file") ? p.toUri().getPath() : p.toString();
    }
}
