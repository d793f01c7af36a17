package dev.dsire.hub;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The declared files of one layout: how many adapters, runs and sizes, which metadata keys the
 * labels came from, and whether that is enough to fit on.
 */
public record LayoutLabels(String fingerprint, String name, String family, List<ScanSource.Declared> files) {

    /**
     * Groups declared files by layout, in layout-name order; every layout of {@code all}
     * (fingerprint → family) is listed, those without a declared file with none.
     */
    public static List<LayoutLabels> group(List<ScanSource.Declared> declared, Map<String, String> all,
                                           java.util.function.Function<String, String> nameOf) {
        Map<String, List<ScanSource.Declared>> by = new LinkedHashMap<>();
        all.keySet().forEach(fp -> by.put(fp, new ArrayList<>()));
        for (ScanSource.Declared d : declared) {
            by.computeIfAbsent(d.fingerprint(), k -> new ArrayList<>()).add(d);
        }
        List<LayoutLabels> out = new ArrayList<>();
        by.forEach((fp, files) -> out.add(new LayoutLabels(fp, nameOf.apply(fp), files.isEmpty() ? all.get(fp) : files.getFirst().family(),
                List.copyOf(files))));
        out.sort(java.util.Comparator.comparing(LayoutLabels::name));
        return out;
    }

    public int runs() {
        return new TreeSet<>(files.stream().map(ScanSource.Declared::run).toList()).size();
    }

    public List<Integer> sizes() {
        return List.copyOf(new TreeSet<>(files.stream().map(ScanSource.Declared::images).toList()));
    }

    /** Adapters per metadata key. */
    public Map<String, Integer> sources() {
        Map<String, Integer> m = new TreeMap<>();
        files.forEach(f -> m.merge(f.source(), 1, Integer::sum));
        return m;
    }

    /** Why this layout cannot be fitted, or null when it can. */
    public String tooFew(int minRuns) {
        if (files.isEmpty()) {
            return "no file of this layout states its training-image count";
        }
        if (runs() < minRuns) {
            return runs() + " training run" + (runs() == 1 ? "" : "s") + " with a declared size (at least " + minRuns + " needed)";
        }
        if (sizes().size() < 2) {
            return "every declared size is " + sizes().getFirst() + " (at least two sizes needed)";
        }
        return null;
    }
}
