package dev.dsire.eval;

import dev.dsire.model.DsireModel;
import dev.dsire.model.Labelled;
import dev.dsire.model.Method;
import dev.dsire.model.Prediction;
import dev.dsire.model.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Fit on one labelled set, predict another: how a model behaves on adapters trained another way
 * (another recipe, another range of sizes). Beside the usual errors it reports what a user needs to
 * know about trust: the error of answers given as ok against flagged ones, and how many of the big
 * errors (off by two or more sizes) carried a flag.
 *
 * @param method       the method
 * @param tested       adapters predicted
 * @param mae          mean absolute error of every answer with a size
 * @param accuracy     share of exact answers (%)
 * @param coverage80   share of test adapters whose size lies in the interval (NaN for vote methods)
 * @param okMae        mean absolute error of answers with status ok (NaN when none)
 * @param flaggedMae   mean absolute error of answers with another status (NaN when none)
 * @param statuses     answers per status
 * @param bigErrors    answers off by two or more sizes (positions among all sizes seen in either set)
 * @param bigFlagged   of those, the ones whose status is not ok
 * @param confusion    true size × answer
 */
public record Transfer(Method method, int tested, double mae, double accuracy, double coverage80, double okMae, double flaggedMae,
                       SortedMap<String, Integer> statuses, int bigErrors, int bigFlagged, Confusion confusion) {

    /** The share of big errors that were flagged (NaN when there were none). */
    public double flaggedShareOfBigErrors() {
        return bigErrors == 0 ? Double.NaN : (double) bigFlagged / bigErrors;
    }

    public static List<Transfer> run(List<Sample> train, List<Sample> test, List<Method> methods) {
        List<Labelled> fit = train.stream().map(Sample::labelled).toList();
        TreeSet<Integer> all = new TreeSet<>();
        train.forEach(s -> all.add(s.size()));
        test.forEach(s -> all.add(s.size()));
        List<Integer> sizes = List.copyOf(all);
        List<Transfer> out = new ArrayList<>();
        for (Method method : methods) {
            DsireModel model = DsireModel.fit(method, fit);
            double err = 0, okErr = 0, flagErr = 0;
            int n = 0, hits = 0, ok = 0, flagged = 0, covered = 0, big = 0, bigFlagged = 0;
            SortedMap<String, Integer> statuses = new TreeMap<>();
            Confusion confusion = Confusion.empty(sizes);
            for (Sample s : test) {
                Prediction p = model.predict(s.path(), s.spectra());
                statuses.merge(p.status().key(), 1, Integer::sum);
                if (!p.status().hasSize()) {
                    continue;
                }
                int e = Math.abs(p.size() - s.size());
                n++;
                err += e;
                hits += e == 0 ? 1 : 0;
                confusion.add(s.size(), p.size());
                boolean isOk = p.status() == Status.OK;
                if (isOk) {
                    ok++;
                    okErr += e;
                } else {
                    flagged++;
                    flagErr += e;
                }
                if (Math.abs(sizes.indexOf(p.size()) - sizes.indexOf(s.size())) >= 2) {
                    big++;
                    bigFlagged += isOk ? 0 : 1;
                }
                if (p.posterior() != null) {
                    int[] iv = p.posterior().interval80();
                    covered += iv[0] <= s.size() && s.size() <= iv[1] ? 1 : 0;
                }
            }
            out.add(new Transfer(method, test.size(), n == 0 ? Double.NaN : err / n, n == 0 ? Double.NaN : 100.0 * hits / n,
                    method.probabilistic() && n > 0 ? (double) covered / n : Double.NaN, ok == 0 ? Double.NaN : okErr / ok,
                    flagged == 0 ? Double.NaN : flagErr / flagged, statuses, big, bigFlagged, confusion));
        }
        return out;
    }
}
