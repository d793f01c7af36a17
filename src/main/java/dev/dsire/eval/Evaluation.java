package dev.dsire.eval;

import dev.dsire.model.DsireModel;
import dev.dsire.model.Labelled;
import dev.dsire.model.Method;
import dev.dsire.model.Prediction;
import dev.dsire.model.Status;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/** Runs the protocol for several methods on samples whose spectra are already extracted. */
public final class Evaluation {
    private Evaluation() {}

    public static List<MethodResult> run(List<Sample> samples, List<Method> methods, Protocol protocol) {
        List<List<String>> splits = protocol.trainingSplits(samples.stream().map(Sample::group).toList());
        List<Integer> sizes = List.copyOf(new TreeSet<>(samples.stream().map(Sample::size).toList()));
        List<MethodResult> out = new ArrayList<>();
        for (Method method : methods) {
            List<Double> mae = new ArrayList<>(), mape = new ArrayList<>(), acc = new ArrayList<>(), cover = new ArrayList<>();
            Confusion confusion = Confusion.empty(sizes);
            Reliability reliability = Reliability.empty();
            long ood = 0, tested = 0;
            for (List<String> split : splits) {
                Set<String> train = new HashSet<>(split);
                DsireModel model = DsireModel.fit(method, training(samples, train, Set.of()));
                double absErr = 0, pctErr = 0, hits = 0, covered = 0;
                int n = 0;
                for (Sample s : samples) {
                    if (train.contains(s.group())) {
                        continue;
                    }
                    Prediction p = model.predict(s.path(), s.spectra());
                    tested++;
                    if (!p.status().hasSize()) {
                        continue; // untrained or degenerate: no answer to score (never in a real zoo)
                    }
                    ood += p.status() == Status.OUT_OF_DISTRIBUTION ? 1 : 0;
                    int size = p.size();
                    absErr += Math.abs(size - s.size());
                    pctErr += 100.0 * Math.abs(size - s.size()) / s.size();
                    hits += size == s.size() ? 1 : 0;
                    confusion.add(s.size(), size);
                    if (p.posterior() != null) {
                        int[] iv = p.posterior().interval80();
                        covered += iv[0] <= s.size() && s.size() <= iv[1] ? 1 : 0;
                        reliability.add(p.posterior().probability(size), size == s.size());
                    }
                    n++;
                }
                mae.add(absErr / n);
                mape.add(pctErr / n);
                acc.add(100.0 * hits / n);
                cover.add(method.probabilistic() ? covered / n : Double.NaN);
            }
            out.add(new MethodResult(method, Summary.of(mae), Summary.of(mape), Summary.of(acc), confusion, Summary.of(cover), reliability,
                    tested == 0 ? 0 : (double) ood / tested));
        }
        return out;
    }

    /**
     * Sizes never seen in training: in each repeat, fit on the training groups' adapters of the
     * other sizes and test on the held-out groups' adapters of the unseen sizes. Scores the
     * continuous estimate ({@link Prediction#estimate()}), which for vote methods is a trained size.
     */
    public static List<UnseenResult> unseen(List<Sample> samples, List<Method> methods, Protocol protocol, Set<Integer> unseen) {
        Set<Integer> all = new TreeSet<>(samples.stream().map(Sample::size).toList());
        for (int u : unseen) {
            if (!all.contains(u)) {
                throw new IllegalArgumentException("unseen size " + u + " is not in the data (sizes " + all + ")");
            }
        }
        if (all.size() - unseen.size() < 2) {
            throw new IllegalArgumentException("leaving out " + unseen + " leaves fewer than two sizes to fit on");
        }
        List<List<String>> splits = protocol.trainingSplits(samples.stream().map(Sample::group).toList());
        List<UnseenResult> out = new ArrayList<>();
        for (Method method : methods) {
            List<Double> mae = new ArrayList<>(), mape = new ArrayList<>(), cover = new ArrayList<>();
            SortedMap<Integer, double[]> bySize = new TreeMap<>(); // size → {abs error sum, count}
            for (List<String> split : splits) {
                Set<String> train = new HashSet<>(split);
                DsireModel model = DsireModel.fit(method, training(samples, train, unseen));
                double absErr = 0, pctErr = 0, covered = 0;
                int n = 0;
                for (Sample s : samples) {
                    if (train.contains(s.group()) || !unseen.contains(s.size())) {
                        continue;
                    }
                    Prediction p = model.predict(s.path(), s.spectra());
                    if (!p.status().hasSize()) {
                        continue;
                    }
                    double e = Math.abs(p.estimate() - s.size());
                    absErr += e;
                    pctErr += 100.0 * e / s.size();
                    bySize.computeIfAbsent(s.size(), k -> new double[2])[0] += e;
                    bySize.get(s.size())[1]++;
                    if (p.posterior() != null) {
                        int[] iv = p.posterior().interval80();
                        covered += iv[0] <= s.size() && s.size() <= iv[1] ? 1 : 0;
                    }
                    n++;
                }
                mae.add(absErr / n);
                mape.add(pctErr / n);
                cover.add(method.probabilistic() ? covered / n : Double.NaN);
            }
            SortedMap<Integer, Double> m = new TreeMap<>();
            bySize.forEach((k, v) -> m.put(k, v[0] / v[1]));
            out.add(new UnseenResult(method, Summary.of(mae), Summary.of(mape), Summary.of(cover), m));
        }
        return out;
    }

    /** The paper's Figure 5: the protocol with 1, 2, … maxGroups training groups (fewer when the data has fewer). */
    public static List<SweepPoint> sweepTrainGroups(List<Sample> samples, List<Method> methods, Protocol protocol, int maxGroups) {
        long groups = samples.stream().map(Sample::group).distinct().count();
        List<SweepPoint> out = new ArrayList<>();
        for (int g = 1; g <= Math.min(maxGroups, groups - 1); g++) {
            Protocol p = new Protocol(g, protocol.repeats(), protocol.seed());
            for (MethodResult r : run(samples, methods, p)) {
                out.add(new SweepPoint(r.method(), g, r.mae(), r.accuracy()));
            }
        }
        return out;
    }

    private static List<Labelled> training(List<Sample> samples, Set<String> groups, Set<Integer> leaveOut) {
        List<Labelled> fit = new ArrayList<>();
        for (Sample s : samples) {
            if (groups.contains(s.group()) && !leaveOut.contains(s.size())) {
                fit.add(s.labelled());
            }
        }
        return fit;
    }
}
