package dev.dsire.cuda;

import static org.junit.jupiter.api.Assertions.*;

import dev.dsire.testutil.Cli;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CUDA host path under the strict stand-in (native/fake-cuda): allocation failure injected at
 * every allocation point in turn, and 1-NN near-ties. See {@link FaultInjectionRun}.
 */
class FaultInjectionTest {
    @TempDir
    Path dir;

    private Cli.Run run(String mode) throws Exception {
        Path libs = FakeCuda.build(dir);
        return FakeCuda.child(libs, dir, Map.of(), FaultInjectionRun.class.getName(), mode, dir.toString());
    }

    @Test
    void everyAllocationFailureEndsInCorrectResultsOrOneLineWithNothingLeaked() throws Exception {
        Cli.Run r = run("inject");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().startsWith("ok runs="), r.out());
    }

    @Test
    void nearTiesAndAllNanQueriesFallAsOnTheCpu() throws Exception {
        Cli.Run r = run("ties");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().startsWith("ok 1-NN near-ties"), r.out());
    }
}
