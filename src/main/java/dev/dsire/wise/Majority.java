package dev.dsire.wise;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Which rows share the layout most rows have. Rows of one benchmark subset are adapters of one base
 * model; a row whose layers disagree with the others is bad input, found once every row is seen.
 * Keeps one small id per row: signatures are interned.
 */
final class Majority<T> {
    private final Map<String, Integer> ids = new HashMap<>();
    private final List<String> signatures = new ArrayList<>();
    private final List<Integer> counts = new ArrayList<>();
    private final List<T> items = new ArrayList<>();
    private final List<Integer> itemIds = new ArrayList<>();

    void add(T item, String signature) {
        int id = ids.computeIfAbsent(signature, s -> {
            signatures.add(s);
            counts.add(0);
            return signatures.size() - 1;
        });
        counts.set(id, counts.get(id) + 1);
        items.add(item);
        itemIds.add(id);
    }

    private int winner() {
        int best = 0;
        for (int i = 1; i < counts.size(); i++) {
            if (counts.get(i) > counts.get(best)) {
                best = i; // ties go to the layout seen first
            }
        }
        return best;
    }

    /** Items with the most common layout, in the order added. */
    List<T> agreeing() {
        int w = winner();
        List<T> out = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            if (itemIds.get(i) == w) {
                out.add(items.get(i));
            }
        }
        return out;
    }

    /** Each other item, with a short reason naming the first tensor that differs. */
    Map<T, String> disagreeing() {
        if (items.isEmpty()) {
            return Map.of();
        }
        int w = winner();
        Map<T, String> out = new java.util.LinkedHashMap<>();
        for (int i = 0; i < items.size(); i++) {
            if (itemIds.get(i) != w) {
                out.put(items.get(i), "its layers disagree with the other rows' (" + firstDifference(signatures.get(itemIds.get(i)), signatures.get(w))
                        + "; " + counts.get(w) + " rows agree)");
            }
        }
        return out;
    }

    private static String firstDifference(String mine, String theirs) {
        List<String> a = mine.lines().toList(), b = theirs.lines().toList();
        for (int i = 0; i < Math.max(a.size(), b.size()); i++) {
            String x = i < a.size() ? a.get(i) : null, y = i < b.size() ? b.get(i) : null;
            if (x == null || !x.equals(y)) {
                return x == null ? "missing " + y : y == null ? "extra " + x : x + " where the others have " + y;
            }
        }
        return "same tensors";
    }
}
