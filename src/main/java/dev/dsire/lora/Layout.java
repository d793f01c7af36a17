package dev.dsire.lora;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.TreeSet;

/**
 * The base layout an adapter was trained against: its layers' canonical names, ranks and shapes,
 * in name order. Two adapters can be compared by DSiRe only when their layouts are equal.
 */
public record Layout(List<LayerShape> layers) {

    public Layout {
        layers = List.copyOf(layers);
    }

    public BaseFamily family() {
        return BaseFamily.guess(layers);
    }

    /** Ranks in use, ascending. */
    public List<Integer> ranks() {
        return List.copyOf(new TreeSet<>(layers.stream().map(LayerShape::rank).toList()));
    }

    /** SHA-256 over "name rank out in" lines: equal fingerprints mean equal layouts. */
    public String fingerprint() {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (LayerShape l : layers) {
                md.update((l.name() + " " + l.rank() + " " + l.outDim() + " " + l.inDim() + "\n").getBytes(StandardCharsets.UTF_8));
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("SHA-256 is part of every JDK", e);
        }
    }

    /** "SD1.x rank 32, 128 layers", for messages. */
    public String describe() {
        List<Integer> r = ranks();
        String rank = r.size() == 1 ? "rank " + r.getFirst() : "ranks " + r.getFirst() + "-" + r.getLast();
        return family().label() + " " + rank + ", " + layers.size() + " layers";
    }
}
