package dev.dsire.lora;

import static dev.dsire.lora.LoraException.Kind.*;

import dev.dsire.safetensors.SafetensorsFile;
import dev.dsire.safetensors.TensorView;
import java.nio.file.Path;
import java.util.Set;

/**
 * Reads one LyCORIS LoHa or LoKr layer into a {@link LoraLayer} with its {@link Structure}, the way
 * ComfyUI and LyCORIS merge it:
 * <ul>
 * <li>LoHa: ΔW = s·(w1a·w1b) ∘ (w2a·w2b), s = alpha / rank(w1b); with Tucker cores (conv layers),
 *     w1a·w1b is einsum(t1, w1b, w1a) = w1aᵀ·M₁ with M₁[i, (c, k…)] = Σ_j t1[i, j, k…]·w1b[j, c].</li>
 * <li>LoKr: ΔW = s·w1 ⊗ w2 (conv: w2 flattened to b×(d·k…)), each either stored whole or as a·b
 *     (w2 also as a Tucker product with t2); s = alpha / rank of the factored w2 (else w1), and 1
 *     when both are stored whole (LyCORIS ignores alpha then).</li>
 * </ul>
 * A factor stored whole (u×v) is read as B = I_u, A = w when u ≤ v, else B = w, A = I_v, so its
 * inner dimension is min(u, v). Every piece is decoded to F64 (they are small) and checked.
 */
final class LycorisReader {
    /** One layer's LyCORIS tensor keys (null where absent). */
    record Pieces(String layer, String w1a, String w1b, String w2a, String w2b, String t1, String t2, String w1, String w2, String alpha) {}

    /** Largest inner dimension r₁·r₂ of a structured layer: its spectra have that many values. */
    static final int MAX_INNER = 65536;

    private final Path path;
    private final SafetensorsFile file;
    private final Pieces p;
    private final int maxRank;
    private final Set<String> variants;
    private final Set<String> sources;

    LycorisReader(Path path, SafetensorsFile file, Pieces p, int maxRank, Set<String> variants, Set<String> sources) {
        this.path = path;
        this.file = file;
        this.p = p;
        this.maxRank = maxRank;
        this.variants = variants;
        this.sources = sources;
    }

    /** "LoHa" or "LoKr", once known: every refusal names the algorithm. */
    private String algorithm = "LyCORIS";

    private LoraException fail(LoraException.Kind kind, String reason) {
        return new LoraException(path, kind, "layer " + p.layer() + " (" + algorithm + "): " + reason);
    }

    LoraLayer layer() {
        for (String k : new String[] {p.w1a(), p.w1b(), p.w2a(), p.w2b(), p.t1(), p.t2()}) {
            if (k != null && k.contains(".hada_")) {
                return loha();
            }
        }
        return lokr();
    }

    /** A piece as a dense matrix of rows × (product of the other dims), every value finite. */
    private Structure.Dense dense(String key, String role) {
        if (key == null) {
            throw fail(UNPAIRED, "has no " + role);
        }
        TensorView v = file.view(key);
        long[] s = v.info().shape();
        if (!v.dtype().isDecodable()) {
            throw new LoraException(path, BAD_DTYPE, "tensor " + key + " is " + v.dtype() + "; LyCORIS weights must be F16, BF16, F32 or F64");
        }
        if (s.length < 2 || s.length > 5 || s[0] == 0) {
            throw fail(BAD_SHAPE, role + " " + v.info() + " is not a 2-D (or conv) matrix");
        }
        long cols = v.elementCount() / s[0];
        if (v.elementCount() > LayerReader.MAX_REBUILT || cols == 0) {
            throw fail(BAD_SHAPE, role + " " + v.info() + " has " + v.elementCount() + " numbers (limit " + LayerReader.MAX_REBUILT + ")");
        }
        double[] x = DerivedFactor.decode(v);
        for (double d : x) {
            if (!Double.isFinite(d)) {
                throw new LoraException(path, NON_FINITE, "tensor " + key + " holds NaN or infinite values");
            }
        }
        return new Structure.Dense(x, (int) s[0], (int) cols);
    }

    private static Structure.Dense identity(int n) {
        double[] v = new double[n * n];
        for (int i = 0; i < n; i++) {
            v[i * n + i] = 1;
        }
        return new Structure.Dense(v, n, n);
    }

    /** The Tucker product's second factor: M[i, (c, k…)] = Σ_j t[i, j, k…]·w[j, c], for t r×r×k… and w r×c. */
    private Structure.Dense tucker(String tKey, Structure.Dense w, String role) {
        TensorView tv = file.view(tKey);
        long[] ts = tv.info().shape();
        if (ts.length < 3 || ts[0] == 0 || ts[1] != w.rows()) {
            throw fail(BAD_SHAPE, role + " " + tv.info() + " is not a " + w.rows() + "×" + w.rows() + "×k… Tucker core");
        }
        Structure.Dense t = dense(tKey, role);
        int r = (int) ts[0], rj = (int) ts[1], k = t.cols() / rj, c = w.cols();
        if ((long) r * c * k > LayerReader.MAX_REBUILT) {
            throw fail(BAD_SHAPE, "rebuilding the Tucker product would take " + (long) r * c * k + " numbers");
        }
        double[] m = new double[r * c * k];
        for (int i = 0; i < r; i++) {
            for (int j = 0; j < rj; j++) {
                for (int kk = 0; kk < k; kk++) {
                    double tv2 = t.v()[(i * rj + j) * k + kk];
                    if (tv2 == 0) {
                        continue;
                    }
                    for (int cc = 0; cc < c; cc++) {
                        m[(i * c + cc) * k + kk] += tv2 * w.v()[j * c + cc];
                    }
                }
            }
        }
        variants.add("tucker");
        return new Structure.Dense(m, r, c * k);
    }

    private LoraLayer loha() {
        algorithm = "LoHa";
        variants.add("loha");
        Structure.Dense b1, a1, b2, a2;
        if (p.t1() != null || p.t2() != null) {
            if (p.t1() == null || p.t2() == null) {
                throw fail(UNPAIRED, "has only one of the Tucker cores hada_t1, hada_t2");
            }
            b1 = dense(p.w1a(), "hada_w1_a").transposed();
            a1 = tucker(p.t1(), dense(p.w1b(), "hada_w1_b"), "hada_t1");
            b2 = dense(p.w2a(), "hada_w2_a").transposed();
            a2 = tucker(p.t2(), dense(p.w2b(), "hada_w2_b"), "hada_t2");
        } else {
            b1 = dense(p.w1a(), "hada_w1_a");
            a1 = dense(p.w1b(), "hada_w1_b");
            b2 = dense(p.w2a(), "hada_w2_a");
            a2 = dense(p.w2b(), "hada_w2_b");
        }
        if (b1.cols() != a1.rows() || b2.cols() != a2.rows() || b1.rows() != b2.rows() || a1.cols() != a2.cols()) {
            throw fail(BAD_SHAPE, "LoHa factors do not multiply: w1 " + b1.rows() + "×" + b1.cols() + "·" + a1.rows() + "×" + a1.cols()
                    + ", w2 " + b2.rows() + "×" + b2.cols() + "·" + a2.rows() + "×" + a2.cols());
        }
        int r1 = a1.rows(), r2 = a2.rows();
        checkRank((long) r1 * r2);
        double[] as = scale(r1);
        if (isConv(p.w1b()) || p.t1() != null) {
            variants.add("conv");
        }
        return new LoraLayer(p.layer(), file.view(p.w1b()), file.view(p.w1a()), r1 * r2, b1.rows(), a1.cols(), as[0], as[1],
                file.view(p.w1a()).dtype(), new Structure.KhatriRao(b1, a1, b2, a2));
    }

    private boolean isConv(String key) {
        return key != null && file.view(key).info().shape().length > 2;
    }

    /** B, A of a LoKr factor stored whole (u×v): the identity on its smaller side. */
    private static Structure.Dense[] whole(Structure.Dense w) {
        return w.rows() <= w.cols() ? new Structure.Dense[] {identity(w.rows()), w} : new Structure.Dense[] {w, identity(w.cols())};
    }

    private LoraLayer lokr() {
        algorithm = "LoKr";
        variants.add("lokr");
        Structure.Dense[] f1, f2;
        Integer dim = null;
        if (p.w1() != null) {
            Structure.Dense w1 = dense(p.w1(), "lokr_w1");
            if (file.view(p.w1()).info().shape().length != 2) {
                throw fail(BAD_SHAPE, "lokr_w1 " + file.view(p.w1()).info() + " is not 2-D");
            }
            f1 = whole(w1);
        } else {
            Structure.Dense a = dense(p.w1a(), "lokr_w1_a"), b = dense(p.w1b(), "lokr_w1_b");
            f1 = new Structure.Dense[] {a, b};
            dim = b.rows();
        }
        String someW2 = p.w2() != null ? p.w2() : p.w2b();
        if (p.w2() != null) {
            f2 = whole(dense(p.w2(), "lokr_w2"));
        } else if (p.t2() != null) {
            f2 = new Structure.Dense[] {dense(p.w2a(), "lokr_w2_a").transposed(), tucker(p.t2(), dense(p.w2b(), "lokr_w2_b"), "lokr_t2")};
            dim = f2[1].rows();
        } else {
            Structure.Dense a = dense(p.w2a(), "lokr_w2_a"), b = dense(p.w2b(), "lokr_w2_b");
            f2 = new Structure.Dense[] {a, b};
            dim = b.rows();
        }
        if (f1[0].cols() != f1[1].rows() || f2[0].cols() != f2[1].rows()) {
            throw fail(BAD_SHAPE, "LoKr factors do not multiply: w1 " + f1[0].rows() + "×" + f1[0].cols() + "·" + f1[1].rows() + "×"
                    + f1[1].cols() + ", w2 " + f2[0].rows() + "×" + f2[0].cols() + "·" + f2[1].rows() + "×" + f2[1].cols());
        }
        if (isConv(someW2) || p.t2() != null) {
            variants.add("conv");
        }
        long out = (long) f1[0].rows() * f2[0].rows(), in = (long) f1[1].cols() * f2[1].cols();
        int r1 = f1[1].rows(), r2 = f2[1].rows();
        checkRank(Math.max(r1, r2));
        if ((long) r1 * r2 > MAX_INNER || out > Integer.MAX_VALUE || in > Integer.MAX_VALUE) {
            throw fail(BAD_SHAPE, "LoKr layer " + out + "×" + in + " of inner dimension " + (long) r1 * r2 + " is out of range");
        }
        double[] as = dim == null ? new double[] {alpha(), 1} : scale(dim);
        if (dim == null) {
            sources.add("lycoris (both factors whole: scale 1)");
        }
        String any = p.w1() != null ? p.w1() : p.w1a();
        return new LoraLayer(p.layer(), file.view(any), file.view(someW2), r1 * r2, (int) out, (int) in, as[0], as[1],
                file.view(any).dtype(), new Structure.Kronecker(f1[0], f1[1], f2[0], f2[1]));
    }

    private void checkRank(long rank) {
        if (rank > maxRank) {
            throw fail(BAD_SHAPE, "rank " + rank + " is above the --max-rank limit " + maxRank
                    + " (work grows with the rank; raise --max-rank to read it)");
        }
    }

    private double alpha() {
        if (p.alpha() == null) {
            return Double.NaN;
        }
        TensorView t = file.view(p.alpha());
        if (t.elementCount() != 1 || !t.dtype().isDecodable() || !Double.isFinite(t.get(0))) {
            throw new LoraException(path, BAD_SHAPE, "alpha " + p.alpha() + " is not one finite number");
        }
        return t.get(0);
    }

    /** {alpha, scale}: alpha / rank, alpha 0 meaning rank (LyCORIS's rule), no alpha meaning 1 (ComfyUI's). */
    private double[] scale(int rank) {
        double alpha = alpha();
        if (Double.isNaN(alpha)) {
            sources.add("assumed");
            return new double[] {alpha, 1};
        }
        double a = alpha == 0 ? rank : alpha;
        double scale = a / rank;
        if (!(scale > 0) || scale > LayerReader.MAX_SCALE) {
            throw fail(BAD_CONFIG, "scale " + scale + " (alpha " + alpha + ", rank " + rank + ") is not a positive number up to " + LayerReader.MAX_SCALE);
        }
        sources.add("lycoris alpha");
        return new double[] {a, scale};
    }
}
