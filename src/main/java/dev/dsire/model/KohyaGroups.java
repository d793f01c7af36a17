package dev.dsire.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Map;
import java.util.TreeSet;

/** The micro-dataset a kohya adapter was trained on, named by its training folders. */
final class KohyaGroups {
    private static final ObjectMapper JSON = new ObjectMapper();

    private KohyaGroups() {}

    /** Folder names from ss_dataset_dirs without the "N_" repeats prefix, joined with '+'; else "unknown". */
    static String of(Map<String, String> meta) {
        String dirs = meta.get("ss_dataset_dirs");
        if (dirs == null) {
            return "unknown";
        }
        try {
            JsonNode n = JSON.readTree(dirs);
            TreeSet<String> names = new TreeSet<>();
            n.fieldNames().forEachRemaining(f -> names.add(f.replaceFirst("^\\d+_", "")));
            return names.isEmpty() ? "unknown" : String.join("+", names);
        } catch (IOException e) {
            return "unknown";
        }
    }
}
