package dev.dsire.hub;

import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Which training run a file comes from, so that the epoch snapshots of one run are held out
 * together: ss_session_id, else ss_training_started_at, else the output name without its
 * epoch/step suffix, else the file itself. The key says which it is ("session:…", "started:…",
 * "output:…", "file:…").
 */
public final class TrainingRun {
    /** kohya's snapshot suffixes: name-000005, name-step00001000, name_e10, name-epoch-3. */
    private static final Pattern SNAPSHOT = Pattern.compile("([-_](epoch[-_]?)?\\d+|[-_]step\\d+|[-_]e\\d+|[-_]last)$", Pattern.CASE_INSENSITIVE);

    private TrainingRun() {}

    public static String of(Map<String, String> meta, String path) {
        String session = blankToNull(meta == null ? null : meta.get("ss_session_id"));
        if (session != null) {
            return "session:" + session;
        }
        String started = blankToNull(meta == null ? null : meta.get("ss_training_started_at"));
        if (started != null) {
            return "started:" + started;
        }
        String output = blankToNull(meta == null ? null : meta.get("ss_output_name"));
        if (output != null) {
            return "output:" + outputRoot(output);
        }
        return "file:" + path;
    }

    /** The output name without the snapshot suffix kohya appends per epoch or step. */
    static String outputRoot(String name) {
        String n = Path.of(name).getFileName() == null ? name : name.replaceAll("\\.safetensors$", "");
        String root = SNAPSHOT.matcher(n).replaceFirst("");
        return root.isEmpty() ? n : root;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }
}
