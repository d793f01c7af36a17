package dev.dsire.eval;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * The paper's protocol: split by micro-dataset, trainGroups groups to train and the rest to test,
 * repeated with splits drawn from one seeded generator. Groups are sorted first, so the splits
 * depend only on the group names, the seed and the counts.
 */
public record Protocol(int trainGroups, int repeats, long seed) {
    public static final Protocol PAPER = new Protocol(15, 10, 42);

    public Protocol {
        if (trainGroups < 1 || repeats < 1) {
            throw new IllegalArgumentException("train groups and repeats must be positive");
        }
    }

    /** The training groups of each repeat. */
    public List<List<String>> trainingSplits(List<String> groups) {
        List<String> sorted = new ArrayList<>(new java.util.TreeSet<>(groups));
        if (sorted.size() <= trainGroups) {
            throw new IllegalArgumentException("the protocol needs more than " + trainGroups + " groups to leave a test set; the data has " + sorted.size());
        }
        Random rng = new Random(seed);
        List<List<String>> out = new ArrayList<>();
        for (int r = 0; r < repeats; r++) {
            List<String> order = new ArrayList<>(sorted);
            Collections.shuffle(order, rng);
            out.add(List.copyOf(order.subList(0, trainGroups)));
        }
        return out;
    }
}
