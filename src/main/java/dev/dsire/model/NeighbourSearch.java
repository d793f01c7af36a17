package dev.dsire.model;

import java.util.List;

/**
 * The 1-NN step of prediction, batched: for each query adapter's features (in the model's voter
 * order), each voter's nearest training adapter. Implementations agree exactly, ties included
 * (the earliest training adapter wins).
 */
public interface NeighbourSearch extends AutoCloseable {

    /** result[q][v] = index of voter v's nearest training adapter for query q. */
    int[][] nearest(DsireModel model, List<List<double[]>> queries);

    @Override
    default void close() {}

    /** The CPU search: exact, one voter at a time. */
    NeighbourSearch CPU = (model, queries) -> {
        int[][] out = new int[queries.size()][];
        for (int q = 0; q < queries.size(); q++) {
            List<double[]> f = queries.get(q);
            out[q] = new int[f.size()];
            for (int v = 0; v < f.size(); v++) {
                out[q][v] = model.index().get(v).nearest(f.get(v));
            }
        }
        return out;
    };
}
