package dev.dsire.hub;

import dev.dsire.model.DsireModel;
import dev.dsire.model.Labelled;
import dev.dsire.model.Method;
import dev.dsire.model.Prediction;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;

/**
 * How far to trust one layout's model: fit without some training runs, predict their adapters,
 * every run held out once. With more runs than folds the runs are dealt (seeded shuffle) into that
 * many folds of whole runs, so the cost is {@code folds} fits, not one per run.
 */
public final class RunCrossValidation {
    /**
     * @param adapters     adapters predicted (each exactly once)
     * @param mae          mean |prediction − declared|
     * @param mape         mean |prediction − declared| / declared, in %
     * @param accuracy     share predicted exactly, in %
     * @param coverage80   share inside interval80 (NaN for methods without intervals)
     * @param constantMae  MAE of answering the training folds' median declared size
     * @param answered     share given a size
     */
    public record Result(String method, int adapters, int runs, int folds, double mae, double mape, double accuracy, double coverage80,
                         double constantMae, double answered) {}

    private RunCrossValidation() {}

    public static Result run(Method method, List<Labelled> data, int maxFolds, long seed) {
        List<String> runs = new ArrayList<>(new TreeSet<>(data.stream().map(Labelled::group).toList()));
        Collections.shuffle(runs, new Random(seed));
        int folds = Math.min(maxFolds, runs.size());
        Map<String, Integer> foldOf = new HashMap<>();
        for (int i = 0; i < runs.size(); i++) {
            foldOf.put(runs.get(i), i % folds);
        }
        double abs = 0, pct = 0, hits = 0, covered = 0, constant = 0;
        int answered = 0, intervals = 0, n = 0;
        for (int k = 0; k < folds; k++) {
            List<Labelled> train = new ArrayList<>();
            List<Labelled> test = new ArrayList<>();
            for (Labelled l : data) {
                (foldOf.get(l.group()) == k ? test : train).add(l);
            }
            if (new TreeSet<>(train.stream().map(Labelled::size).toList()).size() < 2) {
                continue; // cannot happen with ≥ 2 sizes over ≥ 2 runs unless one run holds a size alone; its adapters stay unscored
            }
            DsireModel model = DsireModel.fit(method, train);
            double median = median(train.stream().mapToInt(Labelled::size).sorted().toArray());
            for (Labelled t : test) {
                n++;
                constant += Math.abs(median - t.size());
                Prediction p = model.predict(t.path(), t.spectra());
                if (!p.status().hasSize()) {
                    continue;
                }
                answered++;
                abs += Math.abs(p.size() - t.size());
                pct += 100.0 * Math.abs(p.size() - t.size()) / t.size();
                hits += p.size() == t.size() ? 1 : 0;
                if (p.posterior() != null) {
                    int[] iv = p.posterior().interval80();
                    intervals++;
                    covered += iv[0] <= t.size() && t.size() <= iv[1] ? 1 : 0;
                }
            }
        }
        return new Result(method.key(), n, runs.size(), folds, abs / answered, pct / answered, 100 * hits / answered,
                intervals == 0 ? Double.NaN : covered / intervals, constant / n, n == 0 ? 0 : (double) answered / n);
    }

    static double median(int[] sorted) {
        int m = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2.0;
    }
}
