package dev.dsire.hub;

import dev.dsire.lora.Layout;
import java.util.List;
import java.util.Locale;

/**
 * A layout's short, file-safe name: family, rank, layer count and the first 8 hex digits of its
 * fingerprint, e.g. {@code sd1.x-r32-128l-3fa2c1d0}. It names the layout's model file and rows.
 */
public final class LayoutName {
    private LayoutName() {}

    public static String of(Layout layout) {
        return of(layout.family().label(), layout.ranks(), layout.layers().size(), layout.fingerprint());
    }

    public static String of(String family, List<Integer> ranks, int layers, String fingerprint) {
        String rank = ranks.isEmpty() ? "r0" : ranks.size() == 1 ? "r" + ranks.getFirst() : "r" + ranks.getFirst() + "-" + ranks.getLast();
        String f = family.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9.]+", "-").replaceAll("(^-+|-+$)", "");
        return (f.isEmpty() ? "unknown" : f) + "-" + rank + "-" + layers + "l-" + fingerprint.substring(0, Math.min(8, fingerprint.length()));
    }
}
