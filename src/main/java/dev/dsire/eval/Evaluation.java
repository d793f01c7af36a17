package dev.dsire.eval;

import dev.dsire.model.DsireModel;
import dev.dsire.model.Labelled;
import dev.dsire.model.Method;
import dev.dsire.model.Prediction;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** Runs the protocol for several methods on samples whose spectra are already extracted. */
public final class Evaluation {
    private Evaluation() {}

    public static List<MethodResult> run(List<Sample> samples, List<Method> methods, Protocol protocol) {
        List<List<String>> splits = protocol.trainingSplits(samples.stream().map(Sample::group).toList());
        List<Integer> sizes = List.copyOf(new TreeSet<>(samples.stream().map(Sample::size).toList()));
        List<MethodResult> out = new ArrayList<>();
        for (Method method : methods) {
            List<Double> mae = new ArrayList<>(), mape = new ArrayList<>(), acc = new ArrayList<>();
            Confusion confusion = Confusion.empty(sizes);
            for (List<String> split : splits) {
                Set<String> train = new HashSet<>(split);
                List<Labelled> fit = new ArrayList<>();
                for (Sample s : samples) {
                    if (train.contains(s.group())) {
                        fit.add(s.labelled());
                    }
                }
                DsireModel model = DsireModel.fit(method, fit);
                double absErr = 0, pctErr = 0, hits = 0;
                int n = 0;
                for (Sample s : samples) {
                    if (train.contains(s.group())) {
                        continue;
                    }
                    Prediction p = model.predict(s.path(), s.spectra());
                    absErr += Math.abs(p.size() - s.size());
                    pctErr += 100.0 * Math.abs(p.size() - s.size()) / s.size();
                    hits += p.size() == s.size() ? 1 : 0;
                    confusion.add(s.size(), p.size());
                    n++;
                }
                mae.add(absErr / n);
                mape.add(pctErr / n);
                acc.add(100.0 * hits / n);
            }
            out.add(new MethodResult(method, Summary.of(mae), Summary.of(mape), Summary.of(acc), confusion));
        }
        return out;
    }
}
