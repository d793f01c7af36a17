package dev.dsire.model;

import dev.dsire.lora.Layout;
import dev.dsire.spectra.AdapterSpectra;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A fitted model: for each voter of its method, a 1-NN index over the training adapters'
 * features, and the training labels. Prediction lets every voter pick its nearest training
 * adapter's size; the majority wins, ties going to the smallest size (as scipy.stats.mode does).
 */
public record DsireModel(Method method, Layout layout, int[] labels, List<String> voters, List<NearestNeighbour> index) {

    /** Fits on adapters that all share one layout, in the given order (which breaks distance ties). */
    public static DsireModel fit(Method method, List<Labelled> training) {
        if (training.isEmpty()) {
            throw new IllegalArgumentException("nothing to fit on");
        }
        Layout layout = training.getFirst().spectra().layout();
        for (Labelled t : training) {
            if (!t.spectra().layout().equals(layout)) {
                throw new LayoutMismatchException(t.path(), layout, t.spectra().layout());
            }
        }
        List<String> voters = method.voters(layout);
        int n = training.size();
        List<double[]> flat = new ArrayList<>();
        int[] dims = new int[voters.size()];
        for (int i = 0; i < n; i++) {
            List<double[]> f = method.features(training.get(i).spectra());
            for (int v = 0; v < f.size(); v++) {
                if (i == 0) {
                    dims[v] = f.get(v).length;
                    flat.add(new double[n * dims[v]]);
                }
                System.arraycopy(f.get(v), 0, flat.get(v), i * dims[v], dims[v]);
            }
        }
        List<NearestNeighbour> index = new ArrayList<>(voters.size());
        for (int v = 0; v < voters.size(); v++) {
            index.add(new NearestNeighbour(dims[v], flat.get(v)));
        }
        return new DsireModel(method, layout, training.stream().mapToInt(Labelled::size).toArray(), voters, index);
    }

    /** The sizes seen in training, ascending. */
    public List<Integer> sizes() {
        TreeSet<Integer> s = new TreeSet<>();
        for (int l : labels) {
            s.add(l);
        }
        return List.copyOf(s);
    }

    public Prediction predict(Path file, AdapterSpectra spectra) {
        return vote(NeighbourSearch.CPU.nearest(this, List.of(features(file, spectra)))[0]);
    }

    /** The voters' feature vectors of an adapter, after checking that it has this model's layout. */
    public List<double[]> features(Path file, AdapterSpectra spectra) {
        if (!spectra.layout().equals(layout)) { // equal layouts have equal fingerprints; comparing needs no hashing
            throw new LayoutMismatchException(file, layout, spectra.layout());
        }
        return method.features(spectra);
    }

    /** The prediction from each voter's nearest training adapter. */
    public Prediction vote(int[] nearest) {
        SortedMap<Integer, Integer> votes = new TreeMap<>();
        double sum = 0;
        for (int n : nearest) {
            int size = labels[n];
            votes.merge(size, 1, Integer::sum);
            sum += size;
        }
        int winner = method.meanVote() ? nearestSize(sum / nearest.length) : majority(votes);
        return new Prediction(winner, votes);
    }

    private static int majority(SortedMap<Integer, Integer> votes) {
        int best = votes.firstKey();
        for (var e : votes.entrySet()) {
            if (e.getValue() > votes.get(best)) {
                best = e.getKey(); // strictly more: on a tie the smaller size, seen first, stays
            }
        }
        return best;
    }

    private int nearestSize(double mean) {
        int best = labels[0];
        for (int s : sizes()) {
            if (Math.abs(s - mean) < Math.abs(best - mean) || (Math.abs(s - mean) == Math.abs(best - mean) && s < best)) {
                best = s;
            }
        }
        return best;
    }
}
