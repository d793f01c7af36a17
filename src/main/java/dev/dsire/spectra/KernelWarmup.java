package dev.dsire.spectra;

/**
 * Which twin of the lockstep kernels ({@link BatchedEigenvalues}, {@link BatchedCore}) runs: the
 * vector one, or the scalar lanes that give the same bits (tests check it). Vector API code runs
 * about 100× slower until C2 has compiled it (interpreted and C1 code box every vector): started
 * on the vector twins, a cold `dsire features` on 24 files took 1.5–2× the time and CPU it took
 * on the scalar lanes. The vector twins are about 2.5× faster once compiled (on AVX2, where they
 * run as two halves of 4 lanes, the eigen solver's about 2×), which repays that
 * warm-up after a few hundred models. So a process runs the scalar lanes for its first
 * {@link #SWITCH} kernel calls (about 300 SD 1.5 adapters) and the vector twins after. The Gram
 * tiles ({@link LayerCore}) have their scalar twins in {@link ScalarGram} and switch after
 * {@link #GRAM_SWITCH} matrices. Results never depend on where a process switched.
 */
final class KernelWarmup {
    // both kernels' VECTOR hold wherever vectors have 4 doubles (AVX2, halves) or 8 (AVX-512)

    /**
     * Kernel calls on the scalar lanes before the switch. A group's Gram eigenproblems of A and B are one call
     * (a pair of batches), its cores another: 15,000 calls is about 300 SD 1.5 adapters, the switch point
     * measured before the pairing.
     */
    static final int SWITCH = 15_000;
    /**
     * Gram matrices computed by {@link ScalarGram} before the Gram kernels switch: one SD 1.5 adapter's 256
     * and a few. Sooner than the eigen kernels' switch: the Gram tiles are the larger share of a warm
     * process's time, and C2 compiles them in a fraction of a second (the launcher has it do so early).
     */
    static final int GRAM_SWITCH = 300;
    /**
     * A JVM without C2 (the launcher starts one-file commands with C1 alone, see the dsire launcher) never
     * compiles the vector twins: there they stay ~100× slower than the scalar lanes, so it never switches.
     */
    private static final boolean SCALAR_ONLY = "scalar".equals(System.getProperty("dsire.kernels"));
    private static volatile boolean vector, gramVector, priming;
    private static int calls, gramCalls; // racy on purpose: a lost count only delays the switch a little

    private KernelWarmup() {}

    /** Whether this batch runs on the vector twins. */
    static boolean vector() {
        if (vector) {
            return true;
        }
        if (priming) {
            return false; // the scalar lanes until prime's thread has the vector twins compiled
        }
        if (++calls >= SWITCH && !SCALAR_ONLY && (BatchedEigenvalues.VECTOR || BatchedCore.VECTOR)) {
            vector = true;
        }
        return false;
    }

    /**
     * Whether the one-at-a-time solvers of ranks above {@link LayerCore#BATCH_LIMIT} run {@link Axpy}'s vector loops
     * (the same bits): wherever C2 runs. Their loops are long, so C2 compiles them within the first matrix.
     */
    static boolean largeVector() {
        return !SCALAR_ONLY;
    }

    /** Whether this Gram matrix is computed by the vector tiles. */
    static boolean gramVector() {
        if (gramVector) {
            return true;
        }
        if (priming) {
            return false; // the scalar twins until prime's thread has the vector tiles compiled
        }
        if (++gramCalls >= GRAM_SWITCH && !SCALAR_ONLY) {
            gramVector = true;
        }
        return false;
    }

    /**
     * For a process that stays on (the resident process): has a thread of its own run the vector twins (the
     * Gram tiles, then the eigen solver's and the core's) on synthetic data until the JIT has compiled them
     * (the launcher has them compiled early and in the foreground of the thread that calls them), then switches
     * to them. Until then every kernel call is the scalar twins'. Without it each switch came in the middle of
     * a call, which waited for the compiler: the Gram tiles' at the {@link #GRAM_SWITCH}th matrix (a resident
     * process's second SD 1.5 file took 0.68 s where later ones take ~0.06 s), the eigen solver's after
     * {@link #SWITCH} calls (a 24-file call took 1.56 s where the ones before took ~0.42 s and the ones after
     * ~0.27 s). Nothing where the switches are made or never will be.
     */
    static void prime() {
        if ((gramVector && vector) || priming || SCALAR_ONLY) {
            return;
        }
        priming = true;
        Thread.ofPlatform().daemon().name("dsire-kernel-warmup").start(() -> {
            try {
                LayerCore.exerciseVectorGram();
                gramVector = true;
                if (BatchedEigenvalues.VECTOR || BatchedCore.VECTOR) {
                    LayerCore.exerciseVectorBatches();
                    vector = true;
                }
            } finally {
                priming = false;
            }
        });
    }

    /** Whether prime's thread is still at work (for tests). */
    static boolean priming() {
        return priming;
    }

    /** Whether the switch has happened (for benchmarks, which time the steady state). */
    static boolean switched() {
        return gramVector && (vector || !(BatchedEigenvalues.VECTOR || BatchedCore.VECTOR));
    }
}
