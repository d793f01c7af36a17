package dev.dsire.spectra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The resident process's warm-up of the kernels' vector twins (KernelWarmup.prime): while its thread runs,
 * every kernel call is the scalar twins', whatever the counts; once it is done the vector twins take over,
 * with the same bits. Run in a JVM of its own: the switch is process-wide, and this test JVM's other tests
 * choose their twins.
 */
class KernelWarmupPrimeTest {

    @Test
    void theVectorTwinsAreTakenUpOnlyWhenPrimedAndGiveTheSameBits() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector"));
        // the vector width this JVM was given (-XX:UseAVX=2: the AVX2 run of the tests) goes to the child too
        ManagementFactory.getRuntimeMXBean().getInputArguments().stream().filter(a -> a.startsWith("-XX:UseAVX=")).forEach(cmd::add);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Child.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the child finishes");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), out);
        assertEquals("scalar while priming\nvector once primed\nsame bits\n", out.replace("WARNING: Using incubator modules: jdk.incubator.vector\n", ""));
    }

    /** The child JVM's part; prints what it saw, exits 1 on anything else. */
    static final class Child {
        public static void main(String[] args) throws InterruptedException {
            KernelWarmup.prime();
            // past the count at which an unprimed process switches: still the scalar twins while priming
            boolean early = false;
            for (int i = 0; i < KernelWarmup.GRAM_SWITCH + 10; i++) {
                early |= KernelWarmup.gramVector();
            }
            for (int i = 0; i < KernelWarmup.SWITCH + 10; i++) {
                early |= KernelWarmup.vector();
            }
            // the warm-up (interpreted here: this JVM has none of the launcher's compile commands) takes far longer
            // than the loop, so it is still at work; a switch seen meanwhile is the count's, which priming must stop
            if (early && KernelWarmup.priming()) {
                System.out.println("vector before primed");
                System.exit(1);
            }
            System.out.println("scalar while priming");
            for (int i = 0; i < 12_000 && KernelWarmup.priming(); i++) {
                Thread.sleep(10);
            }
            boolean eigen = KernelWarmup.vector() || !(BatchedEigenvalues.VECTOR || BatchedCore.VECTOR);
            System.out.println(KernelWarmup.gramVector() && eigen ? "vector once primed" : "never switched");
            int n = 32, len = 40;
            double[] x = new double[n * len];
            SplittableRandom rnd = new SplittableRandom(7);
            for (int i = 0; i < x.length; i++) {
                x[i] = rnd.nextDouble(-2, 2);
            }
            double[] vector = new double[n * n], scalar = new double[n * n];
            LayerCore.gramAdd(x, n, len, vector);
            ScalarGram.add(x, n, len, scalar, laneWidth());
            System.out.println(Arrays.equals(vector, scalar) ? "same bits" : "different bits");
        }

        private static int laneWidth() {
            return jdk.incubator.vector.DoubleVector.SPECIES_PREFERRED.length();
        }
    }
}
