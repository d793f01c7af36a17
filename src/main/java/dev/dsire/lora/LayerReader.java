package dev.dsire.lora;

import static dev.dsire.lora.LoraException.Kind.*;

import dev.dsire.safetensors.DType;
import dev.dsire.safetensors.SafetensorsFile;
import dev.dsire.safetensors.TensorView;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Turns one layer's tensors into {@link LoraLayer}s the way PEFT computes its delta weight: checks
 * shapes (conv kernels of any dimension flattened), rebuilds the factors of variants that store
 * them in pieces (KaSA, AdaLoRA, BD-LoRA, target_parameters experts), and works out the scale and
 * where it came from. Anything it cannot read exactly is refused with the variant named.
 */
final class LayerReader {
    /** Scales outside (0, MAX_SCALE] are refused: s·σ must stay finite for any weights a file can hold. */
    static final double MAX_SCALE = 1e100;
    /** Elements a variant's rebuilt factors may take (as F64: 512 MiB), bounding the heap one file can need. */
    static final long MAX_REBUILT = 1L << 26;
    /** PEFT's AdaLoRA divides by ranknum + 1e-5. */
    private static final double ADALORA_EPS = 1e-5;

    /** One layer's tensor keys as the file names them (null where absent). */
    record Tensors(String layer, String module, int nesting, boolean embedding, String down, String up, String alpha,
                   String diag, String singular, String bias, String mid) {}

    private final Path path;
    private final SafetensorsFile file;
    private final Tensors p;
    private final PeftConfig config;
    private final String configSource;
    private final int maxRank;
    private final Set<String> variants;
    private final Set<String> sources;

    LayerReader(Path path, SafetensorsFile file, Tensors p, PeftConfig config, String configSource, int maxRank,
                Set<String> variants, Set<String> sources) {
        this.path = path;
        this.file = file;
        this.p = p;
        this.config = config;
        this.configSource = configSource;
        this.maxRank = maxRank;
        this.variants = variants;
        this.sources = sources;
    }

    private LoraException fail(LoraException.Kind kind, String reason) {
        return new LoraException(path, kind, "layer " + p.layer() + ": " + reason);
    }

    List<LoraLayer> layers(int nestedParameters) {
        String name = p.layer();
        if (p.mid() != null && (p.down() == null || p.up() == null)) {
            throw new LoraException(path, UNPAIRED, "layer " + name + " has a Tucker core (lora_mid) but not both lora_down and lora_up");
        }
        if (p.down() == null || p.up() == null) {
            throw new LoraException(path, UNPAIRED, "layer " + name + " has " + (p.down() == null ? "an up (B) tensor but no down (A)" : "a down (A) tensor but no up (B)"));
        }
        TensorView down = file.view(p.down());
        TensorView up = file.view(p.up());
        for (TensorView v : List.of(down, up)) {
            if (!v.dtype().isDecodable()) {
                throw new LoraException(path, BAD_DTYPE, "tensor " + v.info().name() + " is " + v.dtype() + "; LoRA weights must be F16, BF16, F32 or F64");
            }
        }
        long[] ds = down.info().shape();
        long[] us = up.info().shape();
        if (p.mid() != null) {
            return List.of(tucker(down, up, ds, us));
        }
        if (ds.length < 2 || ds.length > 5 || us.length < 2 || us.length > 5 || !trailingOnes(us)) {
            throw new LoraException(path, BAD_SHAPE, "layer " + name + ": down " + down.info() + " / up " + up.info()
                    + " are not 2-D (or conv 3-D to 5-D with a 1x1 up)");
        }
        long rank = ds[0];
        long inDim = 1;
        for (int i = 1; i < ds.length; i++) {
            try {
                inDim = Math.multiplyExact(inDim, ds[i]);
            } catch (ArithmeticException e) {
                inDim = Long.MAX_VALUE; // refused as out of range below
            }
        }
        long outDim = us[0];
        long upRank = us[1];
        if (ds.length > 2) {
            variants.add("conv");
        }
        if (p.embedding()) {
            variants.add("embedding");
        }
        if (p.bias() != null) {
            variants.add("lora_bias"); // a bias on B changes the layer's bias, not ΔW
        }
        if (rank == 0 && upRank == 0 && p.singular() != null && config != null && config.adalora()) {
            return List.of(pruned((int) Math.min(inDim, Integer.MAX_VALUE), (int) Math.min(outDim, Integer.MAX_VALUE), down.dtype()));
        }
        if (rank == 0 || upRank == 0) {
            throw new LoraException(path, ZERO_RANK, "layer " + name + " has rank 0");
        }
        if (inDim == 0 || outDim == 0 || inDim > Integer.MAX_VALUE || outDim > Integer.MAX_VALUE || rank > 65536 || upRank > 65536) {
            throw new LoraException(path, BAD_SHAPE, "layer " + name + ": shape " + outDim + "x" + rank + "x" + inDim + " out of range");
        }
        TensorView a = DerivedFactor.flat(down, rank, inDim);
        TensorView b = DerivedFactor.flat(up, outDim, upRank);
        DType stored = down.dtype();

        if (config != null && !config.targetParameters().isEmpty() && targetsParameter()) {
            return experts(a, b, (int) rank, (int) inDim, (int) outDim, (int) upRank, nestedParameters, stored);
        }
        if (config == null && (p.nesting() > 0 || p.module().endsWith(".experts"))) {
            throw fail(UNSUPPORTED_TYPE, "LoRA on target_parameters (nn.Parameter such as MoE expert stacks, tensor "
                    + p.down() + ") needs the adapter_config.json PEFT saved beside it to split the experts");
        }
        checkRank(Math.max(rank, upRank));
        if (config != null && config.bdlora() != null) {
            PeftConfig.BdLora bd = config.bdlora();
            boolean blockA = bd.blockA().stream().anyMatch(p.module()::contains);
            boolean blockB = bd.blockB().stream().anyMatch(p.module()::contains);
            if (blockA || blockB) {
                variants.add("bd-lora");
                int n = bd.nblocks();
                if (blockA && blockB) {
                    throw fail(BAD_CONFIG, "BD-LoRA config makes both A and B block-diagonal");
                }
                if (blockA) {
                    if (rank % n != 0 || rank != upRank || (long) inDim * n > Integer.MAX_VALUE) {
                        throw fail(BAD_SHAPE, "BD-LoRA block-diagonal A " + down.info() + " does not split into " + n + " blocks of rank " + upRank);
                    }
                    rebuildable(rank * inDim * n);
                    a = DerivedFactor.blockDiagonal(a, (int) rank, (int) inDim, n, p.down());
                    inDim *= n;
                } else {
                    if (outDim % n != 0 || upRank * n != rank) {
                        throw fail(BAD_SHAPE, "BD-LoRA block-diagonal B " + up.info() + " does not split into " + n + " blocks for rank " + rank);
                    }
                    rebuildable(outDim * rank);
                    b = DerivedFactor.blockDiagonal(b, (int) outDim, (int) upRank, n, p.up());
                    upRank = rank;
                }
            }
        }
        if (upRank != rank) {
            if (config == null && upRank < rank && rank % upRank == 0 && ds.length == 2) {
                throw fail(UNSUPPORTED_TYPE, "looks like BD-LoRA (block-diagonal B: down has rank " + rank + ", up "
                        + upRank + ") and needs the adapter_config.json (use_bdlora) PEFT saved beside it");
            }
            if (ds.length > 2 && upRank < rank && rank % upRank == 0) {
                throw fail(UNSUPPORTED_TYPE, "LoRA on a grouped convolution (up has rank " + upRank + " per group of "
                        + rank / upRank + "): PEFT cannot merge it either");
            }
            if (ds.length == 2 && us.length == 2 && ds[1] == us[0]) {
                throw new LoraException(path, RANK_MISMATCH, "layer " + name + ": down " + down.info() + " and up " + up.info()
                        + " look swapped (down should be rank x in, up out x rank)");
            }
            throw new LoraException(path, RANK_MISMATCH, "layer " + name + ": down has rank " + rank + " but up has rank " + upRank);
        }
        double[] fold = null;
        if (p.diag() != null) {
            variants.add("kasa");
            fold = vector(p.diag(), rank, "KaSA diagonal");
        }
        if (p.singular() != null) {
            variants.add("adalora");
            if (fold != null) {
                throw fail(UNSUPPORTED_TYPE, "has both a KaSA diagonal and AdaLoRA singular values");
            }
            fold = vector(p.singular(), rank, "AdaLoRA singular values (lora_E)");
        }
        if (fold != null) {
            rebuildable(rank * inDim);
            a = DerivedFactor.scaleRows(a, (int) rank, (int) inDim, fold, p.down());
        }
        double[] as = scale(p.module(), (int) rank);
        return List.of(new LoraLayer(name, a, b, (int) rank, (int) outDim, (int) inDim, as[0], as[1], stored));
    }

    /**
     * LyCORIS LoCon with a Tucker core: lora_down r×in×1×1, lora_mid r×r×k…, lora_up out×r×1×1.
     * ΔW = s·up ×₁ (mid ×₂ down), as ComfyUI and LyCORIS merge it, is s·B·A with B = up (out×r) and
     * A[a, (i, k…)] = Σ_b mid[a, b, k…]·down[b, i]: rank r, A of a plain conv LoRA's size.
     */
    private LoraLayer tucker(TensorView down, TensorView up, long[] ds, long[] us) {
        TensorView mid = file.view(p.mid());
        long[] ms = mid.info().shape();
        if (!down.dtype().isDecodable() || !up.dtype().isDecodable() || !mid.dtype().isDecodable()) {
            throw fail(BAD_DTYPE, "Tucker LoCon tensors must be F16, BF16, F32 or F64");
        }
        if (ds.length < 2 || us.length < 2 || ms.length < 3 || !trailingOnes(ds) || !trailingOnes(us) || ms[0] != us[1] || ms[1] != ds[0]
                || ds[0] == 0 || us[1] == 0) {
            throw fail(BAD_SHAPE, "Tucker LoCon: down " + down.info() + ", mid " + mid.info() + ", up " + up.info()
                    + " are not r×in×1…, r×r×k…, out×r×1…");
        }
        int r = Math.toIntExact(Math.min(us[1], Integer.MAX_VALUE));
        checkRank(Math.max(ds[0], us[1]));
        long in = ds[1], out = us[0], kernel = 1;
        for (int i = 2; i < ms.length; i++) {
            kernel = Math.multiplyExact(kernel, ms[i]);
        }
        rebuildable(Math.multiplyExact(Math.multiplyExact((long) r, in), kernel) + (long) r * r * kernel + ds[0] * in);
        if (in * kernel > Integer.MAX_VALUE || out > Integer.MAX_VALUE) {
            throw fail(BAD_SHAPE, "Tucker LoCon layer is too large");
        }
        int rb = (int) ds[0], k = (int) kernel, n = (int) in;
        double[] d = finite(DerivedFactor.decode(down), p.down()), m = finite(DerivedFactor.decode(mid), p.mid());
        double[] a = new double[r * n * k];
        for (int i = 0; i < r; i++) {
            for (int b = 0; b < rb; b++) {
                for (int kk = 0; kk < k; kk++) {
                    double w = m[(i * rb + b) * k + kk];
                    if (w == 0) {
                        continue;
                    }
                    for (int c = 0; c < n; c++) {
                        a[(i * n + c) * k + kk] += w * d[b * n + c];
                    }
                }
            }
        }
        variants.add("tucker");
        variants.add("conv");
        double[] as = scale(p.module(), rb); // ComfyUI and LyCORIS divide alpha by the down factor's rank
        return new LoraLayer(p.layer(), DerivedFactor.of(p.down(), a, r, (long) n * k), DerivedFactor.flat(up, out, r), r, (int) out,
                n * k, as[0], as[1], down.dtype());
    }

    private double[] finite(double[] x, String key) {
        for (double v : x) {
            if (!Double.isFinite(v)) {
                throw new LoraException(path, NON_FINITE, "tensor " + key + " holds NaN or infinite values");
            }
        }
        return x;
    }

    /**
     * A module AdaLoRA's budget pruned to rank 0: ΔW = 0. It stays a layer (PEFT still has the module),
     * read as zero factors of rank 1; the scale is PEFT's, whose ranknum is then 0: α/(0 + 10⁻⁵).
     */
    private LoraLayer pruned(int in, int out, DType stored) {
        variants.add("adalora");
        if (in <= 0 || out <= 0 || (long) in + out > MAX_REBUILT) {
            throw fail(BAD_SHAPE, "AdaLoRA module pruned to rank 0 has shape " + out + "x" + in);
        }
        double alpha = config.alphaOf(p.module());
        double scale = alpha > 0 ? alpha / ADALORA_EPS : 1;
        sources.add(configSource);
        return new LoraLayer(p.layer(), DerivedFactor.of(p.down(), new double[in], 1, in), DerivedFactor.of(p.up(), new double[out], out, 1),
                1, out, in, alpha, scale, stored);
    }

    private void rebuildable(long elements) {
        if (elements > MAX_REBUILT) {
            throw fail(BAD_SHAPE, "rebuilding this variant's factors would take " + elements + " numbers (limit " + MAX_REBUILT + ")");
        }
    }

    private static boolean trailingOnes(long[] up) {
        for (int i = 2; i < up.length; i++) {
            if (up[i] != 1) {
                return false;
            }
        }
        return true;
    }

    private void checkRank(long rank) {
        if (rank > maxRank) {
            throw fail(BAD_SHAPE, "rank " + rank + " is above the --max-rank limit " + maxRank
                    + " (work grows with the rank; raise --max-rank to read it)");
        }
    }

    /** A 1-D (r) or r×1 tensor of finite numbers. */
    private double[] vector(String key, long rank, String what) {
        TensorView v = file.view(key);
        long[] s = v.info().shape();
        boolean shaped = s.length == 1 && s[0] == rank || s.length == 2 && s[0] == rank && s[1] == 1;
        if (!shaped || !v.dtype().isDecodable()) {
            throw fail(BAD_SHAPE, what + " " + v.info() + " is not " + rank + " numbers");
        }
        double[] d = DerivedFactor.decode(v);
        for (double x : d) {
            if (!Double.isFinite(x)) {
                throw new LoraException(path, NON_FINITE, "tensor " + key + " holds NaN or infinite values");
            }
        }
        return d;
    }

    /** {alpha, scale} of a module of the given rank, recording where the scale came from. */
    private double[] scale(String module, int rank) {
        double alpha = Double.NaN, scale;
        if (p.alpha() != null) {
            TensorView t = file.view(p.alpha());
            if (t.elementCount() != 1 || !t.dtype().isDecodable() || !Double.isFinite(t.get(0))) {
                throw new LoraException(path, BAD_SHAPE, "alpha " + p.alpha() + " is not one finite number");
            }
            alpha = t.get(0);
            if (alpha == 0) {
                alpha = rank; // kohya's rule: alpha 0 means alpha = rank
            }
            scale = alpha / rank;
            sources.add("kohya alpha");
        } else if (config != null && config.adalora()) {
            alpha = config.alphaOf(module);
            double scaling = alpha > 0 ? alpha : rank; // AdaLoRA's scaling; ranknum stays init_r after pruning
            scale = scaling / (config.initR() + ADALORA_EPS);
            sources.add(configSource);
        } else if (config != null) {
            int configured = config.rankOf(module);
            if (configured != rank) {
                throw new LoraException(path, BAD_CONFIG, "adapter config gives " + module + " rank " + configured + " but its tensors have rank " + rank);
            }
            alpha = config.alphaOf(module);
            scale = config.scaleOf(module, rank);
            sources.add(configSource);
        } else {
            if (p.singular() != null) {
                throw fail(UNSUPPORTED_TYPE, "AdaLoRA (lora_E) needs the adapter_config.json PEFT saved beside it (init_r, lora_alpha) for its scale");
            }
            scale = 1.0; // no alpha anywhere: the file's B·A is the update as stored
            sources.add("assumed");
        }
        if (!(scale > 0) || scale > MAX_SCALE || Double.isNaN(scale)) {
            throw fail(BAD_CONFIG, "scale " + scale + " (alpha " + alpha + ", rank " + rank + ") is not a positive number up to " + MAX_SCALE);
        }
        return new double[] {alpha, scale};
    }

    /** Whether this module holds a parameter named in target_parameters. */
    private boolean targetsParameter() {
        return !parameterCandidates().isEmpty();
    }

    private List<String> parameterCandidates() {
        List<String> out = new ArrayList<>();
        for (String t : config.targetParameters()) {
            int dot = t.lastIndexOf('.');
            String owner = dot < 0 ? "" : t.substring(0, dot);
            if (owner.isEmpty() || p.module().equals(owner) || p.module().endsWith("." + owner)) {
                out.add(t.substring(dot + 1));
            }
        }
        return out;
    }

    /**
     * PEFT's ParamWrapper: A is (r·E)×in with expert e's rows at [e·r, (e+1)·r); B is out×(r·E) with
     * expert e's columns at e, e+E, e+2E, … (PEFT reshapes B to out×r×E). Each expert is one rank-r layer.
     */
    private List<LoraLayer> experts(TensorView a, TensorView b, int rows, int in, int out, int cols, int nested, DType stored) {
        variants.add("target_parameters");
        List<String> candidates = parameterCandidates();
        // which nn.Parameter a wrapper holds is only its nesting depth; the innermost wraps the first registered
        String param = candidates.size() == 1 && nested == 1 ? candidates.getFirst() : "param" + (nested - 1 - p.nesting());
        Set<Integer> ranks = new TreeSet<>();
        for (String c : candidates) {
            ranks.add(config.rankOf(p.module() + "." + c));
        }
        if (ranks.size() != 1) {
            throw fail(BAD_CONFIG, "target_parameters " + candidates + " have different ranks " + ranks + " and the file does not say which tensor is which");
        }
        int r = ranks.iterator().next();
        if (rows % r != 0 || cols != rows) {
            throw fail(BAD_SHAPE, "target_parameters LoRA: down " + rows + "x" + in + " / up " + out + "x" + cols + " do not split into experts of rank " + r);
        }
        int experts = rows / r;
        checkRank(r);
        String key = p.module() + "." + (candidates.contains(param) ? param : candidates.getFirst());
        double alpha = config.alphaOf(key);
        double scale = config.rslora() ? alpha / Math.sqrt(r) : alpha / r;
        if (!(scale > 0) || scale > MAX_SCALE) {
            throw fail(BAD_CONFIG, "scale " + scale + " is not a positive number up to " + MAX_SCALE);
        }
        sources.add(configSource);
        if (experts == 1) { // a 2-D parameter: one layer, named as its module (plus the parameter when there are several)
            String name = nested == 1 ? p.layer() : p.layer() + "_" + param;
            return List.of(new LoraLayer(name, a, b, r, out, in, alpha, scale, stored));
        }
        rebuildable((long) out * cols);
        double[] all = DerivedFactor.decode(b); // once: each expert's columns are strided through all of B
        List<LoraLayer> layers = new ArrayList<>(experts);
        for (int e = 0; e < experts; e++) {
            TensorView ae = DerivedFactor.rows(a, e * r, r, in);
            TensorView be = DerivedFactor.strideColumns(all, out, cols, e, experts, r, p.up());
            layers.add(new LoraLayer(p.layer() + "_" + param + "_" + e, ae, be, r, out, in, alpha, scale, stored));
        }
        return layers;
    }
}
