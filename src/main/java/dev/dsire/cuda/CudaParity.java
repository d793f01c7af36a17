package dev.dsire.cuda;

import dev.dsire.lora.LoraAdapter;
import dev.dsire.lora.LoraReader;
import dev.dsire.model.DsireModel;
import dev.dsire.model.Labelled;
import dev.dsire.model.Method;
import dev.dsire.model.NearestNeighbour;
import dev.dsire.model.NeighbourSearch;
import dev.dsire.safetensors.DType;
import dev.dsire.spectra.AdapterSpectra;
import dev.dsire.spectra.Computed;
import dev.dsire.spectra.CpuSpectrumBackend;
import dev.dsire.spectra.LayerSpectrum;
import dev.dsire.spectra.MatrixKind;
import dev.dsire.spectra.SpectrumBackend;
import dev.dsire.synth.AdapterWriter;
import dev.dsire.synth.BaseModels;
import dev.dsire.synth.ModuleSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;

/**
 * CPU against CUDA on generated adapters, for `dsire doctor --parity` on a GPU machine (no Maven
 * or test jar needed there) and for the tests: spectra of every dtype at ranks 1 to 48 within
 * {@link SpectrumBackend#TOLERANCE}, identical 1-NN predictions, identical near-ties (where only
 * the summation order decides) and -1 for all-NaN queries. Each check reports one line.
 */
public final class CudaParity {
    /** One check: what, and null when it passed or why it failed. */
    public record Check(String what, String failure) {
        public boolean ok() {
            return failure == null;
        }

        public String line() {
            return String.format(Locale.ROOT, "%-58s %s", what, ok() ? "ok" : "FAILED: " + failure);
        }
    }

    private final CudaContext cuda;
    private final Path dir;
    private final Consumer<String> notices;

    /** dir: where the generated adapters are written. */
    public CudaParity(CudaContext cuda, Path dir, Consumer<String> notices) {
        this.cuda = cuda;
        this.dir = dir;
        this.notices = notices;
    }

    public List<Check> run() throws IOException {
        List<Check> out = new ArrayList<>();
        try (CudaSpectrumBackend gpu = new CudaSpectrumBackend(cuda, 2, notices); CpuSpectrumBackend cpu = new CpuSpectrumBackend(2);
             CudaNeighbourSearch search = new CudaNeighbourSearch(cuda, notices)) {
            int seed = 0;
            for (DType t : new DType[] {DType.F16, DType.BF16, DType.F32, DType.F64}) {
                List<LoraAdapter> adapters = new ArrayList<>();
                for (int rank : new int[] {1, 4, 8, 16, 32, 48}) {
                    List<ModuleSpec> m = BaseModels.sd15().subList(0, 16);
                    adapters.add(LoraReader.open(AdapterWriter.write(dir.resolve(t + "-" + rank + ".safetensors"),
                            AdapterWriter.Naming.KOHYA, m, rank, rank / 2.0, t, AdapterWriter.random(m, rank, seed++), Map.of())));
                }
                try {
                    out.add(spectra("spectra " + t + ", ranks 1-48, 16 SD1.5 layers each", cpu, gpu, adapters));
                } finally {
                    adapters.forEach(LoraAdapter::close);
                }
            }
            out.add(predictions(cpu, gpu, search));
            out.add(ties(search));
        }
        return out;
    }

    /** Largest |Δσ|/σ_max over every layer and kind. */
    public static double deviation(AdapterSpectra a, AdapterSpectra b) {
        double worst = 0;
        for (int l = 0; l < a.layers().size(); l++) {
            LayerSpectrum x = a.layers().get(l), y = b.layers().get(l);
            for (MatrixKind k : MatrixKind.values()) {
                double scale = Math.max(x.values(k)[0], Double.MIN_NORMAL);
                for (int j = 0; j < x.values(k).length; j++) {
                    worst = Math.max(worst, Math.abs(x.values(k)[j] - y.values(k)[j]) / scale);
                }
            }
        }
        return worst;
    }

    private static Check spectra(String what, SpectrumBackend cpu, SpectrumBackend gpu, List<LoraAdapter> adapters) {
        List<Computed> a = cpu.compute(adapters), b = gpu.compute(adapters);
        double worst = 0;
        for (int i = 0; i < a.size(); i++) {
            if (!a.get(i).ok() || !b.get(i).ok()) {
                return new Check(what, adapters.get(i).path().getFileName() + ": " + (a.get(i).ok() ? b : a).get(i).error().getMessage());
            }
            worst = Math.max(worst, deviation(a.get(i).spectra(), b.get(i).spectra()));
        }
        String w = what + String.format(Locale.ROOT, " (max %.1e)", worst);
        return new Check(w, worst <= SpectrumBackend.TOLERANCE ? null : "deviation above " + SpectrumBackend.TOLERANCE);
    }

    private Check predictions(SpectrumBackend cpu, SpectrumBackend gpu, NeighbourSearch search) throws IOException {
        String what = "1-NN predictions, 48 adapters of 24 SD1.5 layers (24 train)";
        List<ModuleSpec> m = BaseModels.sd15().subList(0, 24);
        List<LoraAdapter> adapters = new ArrayList<>();
        try {
            for (int i = 0; i < 48; i++) {
                adapters.add(LoraReader.open(AdapterWriter.write(dir.resolve("zoo-" + i + ".safetensors"), AdapterWriter.Naming.KOHYA, m, 8, 8,
                        DType.F16, AdapterWriter.random(m, 8, 1000 + i), Map.of())));
            }
            List<Computed> a = cpu.compute(adapters), b = gpu.compute(adapters);
            List<Labelled> train = new ArrayList<>();
            for (int i = 0; i < a.size(); i += 2) {
                train.add(new Labelled(adapters.get(i).path(), a.get(i).spectra(), 1 + i % 5));
            }
            DsireModel model = DsireModel.fit(Method.DSIRE, train);
            List<List<double[]>> qa = new ArrayList<>(), qb = new ArrayList<>();
            for (int i = 0; i < a.size(); i++) {
                qa.add(model.features(adapters.get(i).path(), a.get(i).spectra()));
                qb.add(model.features(adapters.get(i).path(), b.get(i).spectra()));
            }
            int[][] cpuNearest = NeighbourSearch.CPU.nearest(model, qa), gpuNearest = search.nearest(model, qb);
            for (int i = 0; i < a.size(); i++) {
                if (!Arrays.equals(cpuNearest[i], gpuNearest[i])) {
                    return new Check(what, "adapter " + i + ": neighbours " + Arrays.toString(gpuNearest[i]) + " on cuda, "
                            + Arrays.toString(cpuNearest[i]) + " on cpu");
                }
            }
            return new Check(what, null);
        } finally {
            adapters.forEach(LoraAdapter::close);
        }
    }

    /** Near-ties and all-NaN queries: the voters, their references, and two queries (close, all NaN). */
    public record Ties(List<NearestNeighbour> index, List<List<double[]>> queries, int decidedByOrder) {}

    /**
     * Voters of several dims (with and without a tail past the 4 lanes), each with two references
     * holding the same offsets from the query in different orders: equal distances in exact
     * arithmetic, so the rounding of the summation order picks the winner.
     */
    public static Ties ties(long seed) {
        Random rnd = new Random(seed);
        int[] dims = {5, 8, 10, 13, 16, 7};
        List<NearestNeighbour> index = new ArrayList<>();
        List<double[]> query = new ArrayList<>(), nanQuery = new ArrayList<>();
        int decided = 0;
        for (int v = 0; v < 400; v++) {
            int dim = dims[v % dims.length];
            double[] q = new double[dim], a = new double[dim];
            for (int j = 0; j < dim; j++) {
                q[j] = rnd.nextGaussian();
                a[j] = rnd.nextGaussian() * Math.pow(10, rnd.nextInt(7) - 3);
            }
            double[] b = a.clone();
            for (int j = dim - 1; j > 0; j--) {
                int k = rnd.nextInt(j + 1);
                double t = b[j];
                b[j] = b[k];
                b[k] = t;
            }
            double[] refs = new double[2 * dim];
            for (int j = 0; j < dim; j++) {
                refs[j] = q[j] + a[j];
                refs[dim + j] = q[j] + b[j];
            }
            NearestNeighbour nn = new NearestNeighbour(dim, refs);
            int seq = sequential(refs, dim, dim, q) < sequential(refs, 0, dim, q) ? 1 : 0;
            decided += nn.nearest(q) != seq ? 1 : 0;
            index.add(nn);
            query.add(q);
            double[] nan = new double[dim];
            Arrays.fill(nan, Double.NaN);
            nanQuery.add(nan);
        }
        return new Ties(index, List.of(query, nanQuery), decided);
    }

    /** Squared distance summed left to right: an order other than the CPU's. */
    private static double sequential(double[] refs, int from, int dim, double[] q) {
        double d = 0;
        for (int j = 0; j < dim; j++) {
            double t = refs[from + j] - q[j];
            d += t * t;
        }
        return d;
    }

    /** ties(7) through a search, compared with the CPU's; the model around the index is only a carrier. */
    public static Check ties(NeighbourSearch search, DsireModel carrier) {
        Ties t = ties(7);
        List<String> voters = new ArrayList<>();
        for (int v = 0; v < t.index().size(); v++) {
            voters.add("v" + v);
        }
        DsireModel model = new DsireModel(carrier.method(), carrier.layout(), new int[] {1, 2}, voters, t.index());
        int[][] cpu = NeighbourSearch.CPU.nearest(model, t.queries()), got = search.nearest(model, t.queries());
        String what = "1-NN near-ties (" + t.decidedByOrder() + " decided by the order) and all-NaN";
        if (t.decidedByOrder() < 5) {
            return new Check(what, "too few cases where the summation order decides");
        }
        for (int v = 0; v < t.index().size(); v++) {
            if (got[0][v] != cpu[0][v]) {
                return new Check(what, "voter " + v + " (dim " + t.index().get(v).dim() + "): " + got[0][v] + " on cuda, " + cpu[0][v] + " on cpu");
            }
            if (got[1][v] != -1 || cpu[1][v] != -1) {
                return new Check(what, "all-NaN query, voter " + v + ": " + got[1][v] + " on cuda, " + cpu[1][v] + " on cpu (both must be -1)");
            }
        }
        return new Check(what, null);
    }

    private Check ties(NeighbourSearch search) throws IOException {
        List<ModuleSpec> m = BaseModels.sd15().subList(0, 1);
        try (LoraAdapter a = LoraReader.open(AdapterWriter.write(dir.resolve("carrier.safetensors"), AdapterWriter.Naming.KOHYA, m, 2, 2,
                DType.F32, AdapterWriter.random(m, 2, 1), Map.of())); CpuSpectrumBackend cpu = new CpuSpectrumBackend(1)) {
            Computed c = cpu.compute(List.of(a)).getFirst();
            return ties(search, DsireModel.fit(Method.DSIRE, List.of(new Labelled(a.path(), c.spectra(), 1))));
        }
    }
}
