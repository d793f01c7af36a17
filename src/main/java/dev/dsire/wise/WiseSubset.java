package dev.dsire.wise;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One LoRA-WiSE configuration: a size range and the LoRA rank its adapters were trained with. The
 * hub names them {@code low_8 … high_32} and stores them as {@code <range>/<rank>[_2]/train-*.parquet};
 * either spelling in a path identifies the subset.
 */
public record WiseSubset(String name, int rank) {
    /** The configurations the dataset card lists. */
    public static final List<WiseSubset> KNOWN = List.of(
            new WiseSubset("low_8", 8), new WiseSubset("low_16", 16), new WiseSubset("low_32", 32),
            new WiseSubset("medium_16", 16), new WiseSubset("medium_32", 32), new WiseSubset("medium_32_2", 32),
            new WiseSubset("high_32", 32));

    private static final Pattern IN_PATH = Pattern.compile("(?:^|/)(low|medium|high)[_/](\\d+)(_2)?(?=/|\\.|_|-|$)");

    public static WiseSubset named(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return KNOWN.stream().filter(s -> s.name.equals(n)).findFirst().orElseThrow(() -> new IllegalArgumentException(
                "unknown LoRA-WiSE subset '" + name + "'; one of " + KNOWN.stream().map(WiseSubset::name).toList()));
    }

    /** The subset a file's path names (the last mention wins), if any. */
    public static Optional<WiseSubset> inPath(Path file) {
        Matcher m = IN_PATH.matcher(file.toAbsolutePath().normalize().toString().replace('\\', '/'));
        WiseSubset found = null;
        while (m.find()) {
            String name = m.group(1) + "_" + m.group(2) + (m.group(3) == null ? "" : "_2");
            found = KNOWN.stream().filter(s -> s.name.equals(name)).findFirst().orElse(found);
        }
        return Optional.ofNullable(found);
    }

    /** The rank for a file: the given one, else the subset its path names, else an error naming the file. */
    public static int rankOf(Path file, Integer given) {
        if (given != null) {
            return given;
        }
        return inPath(file).map(WiseSubset::rank).orElseThrow(() -> new WiseException(file,
                "cannot tell the LoRA rank: the path names no LoRA-WiSE subset (low_8, low_16, low_32, medium_16, medium_32, medium_32_2, high_32); give --rank"));
    }
}
