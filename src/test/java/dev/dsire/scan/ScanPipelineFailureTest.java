package dev.dsire.scan;

import static org.junit.jupiter.api.Assertions.*;

import dev.dsire.lora.LoraAdapter;
import dev.dsire.safetensors.DType;
import dev.dsire.spectra.Computed;
import dev.dsire.spectra.CpuSpectrumBackend;
import dev.dsire.spectra.SpectrumBackend;
import dev.dsire.synth.AdapterWriter;
import dev.dsire.synth.AdapterWriter.Naming;
import dev.dsire.synth.ModuleSpec;
import dev.dsire.testutil.FailingBackend;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Failures inside the scan pipeline: any failure while reading a file becomes that file's error
 * row; a stage that dies stops the scan with one error, never a hang and never a silent exit 0.
 */
class ScanPipelineFailureTest {
    private static final List<ModuleSpec> M = List.of(new ModuleSpec("unet", "a.to_q", 8, 8));

    @TempDir
    Path dir;

    private Path tree(int files) throws IOException {
        Path root = Files.createDirectories(dir.resolve("t"));
        for (int i = 0; i < files; i++) {
            AdapterWriter.write(root.resolve((i % 3 == 0 ? "boom" : "ok") + i + ".safetensors"), Naming.KOHYA, M, 2, 2, DType.F16,
                    AdapterWriter.random(M, 2, i), Map.of());
        }
        return root;
    }

    private record Result(Scanner.Summary summary, List<ScanRecord> rows, String err) {}

    private Result scan(Path root, int threads, SpectrumBackend backend, java.util.function.Consumer<ScanRecord> extra) throws Exception {
        Path db = dir.resolve("s" + System.nanoTime() + ".sqlite");
        StringWriter err = new StringWriter();
        List<ScanRecord> rows = new ArrayList<>();
        try (ScanDb d = ScanDb.open(db)) {
            Scanner.Summary s = new Scanner(d, db, null, null, threads, backend).run(List.of(root), new PrintWriter(err), false, r -> {
                extra.accept(r);
                rows.add(r);
            });
            return new Result(s, rows, err.toString());
        }
    }

    @Test
    void anyFailureWhileReadingAFileBecomesItsErrorRow() throws Exception {
        Path root = tree(30);
        List<Function<LoraAdapter, List<Computed>>> failures = List.of(
                a -> { throw new NullPointerException("a bug"); },
                a -> { throw new InternalError("a fault occurred in an unsafe memory access operation"); },
                a -> { throw new OutOfMemoryError("Java heap space"); },
                a -> { throw new StackOverflowError(); },
                a -> { throw new IllegalStateException(new ArithmeticException("overflow")); });
        for (var failure : failures) {
            Result r = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> scan(root, 2, FailingBackend.on(1, failure), x -> {}));
            assertEquals(30, r.rows().size(), "one row per file seen");
            assertEquals(30, r.rows().stream().map(ScanRecord::path).distinct().count());
            assertEquals(10, r.summary().errors());
            for (ScanRecord row : r.rows()) {
                boolean boom = Path.of(row.path()).getFileName().toString().startsWith("boom");
                assertEquals(boom ? ScanStatus.ERROR : ScanStatus.OK, row.status(), row.path());
                if (boom) {
                    assertFalse(row.error().isBlank() || row.error().contains("\n"), row.error());
                }
            }
        }
    }

    @Test
    void aDeadReaderStageStopsTheScanWithOneErrorInsteadOfHanging() throws Exception {
        Path root = tree(200); // more files than the queues hold: the walker would block forever on a full queue
        ScanFailedException e = assertThrows(ScanFailedException.class, () -> assertTimeoutPreemptively(Duration.ofSeconds(60),
                () -> scan(root, 1, FailingBackend.on(1, a -> { throw new LinkageError("broken class path"); }), x -> {})));
        assertTrue(e.getMessage().contains("reader stage died: LinkageError"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void aDeadWriterStageStopsTheScanInsteadOfHanging() throws Exception {
        Path root = tree(200);
        int[] n = {0};
        ScanFailedException e = assertThrows(ScanFailedException.class, () -> assertTimeoutPreemptively(Duration.ofSeconds(60),
                () -> scan(root, 2, new CpuSpectrumBackend(1), r -> {
                    if (++n[0] == 5) {
                        throw new IllegalStateException("disk full");
                    }
                })));
        assertTrue(e.getMessage().contains("writer stage died: IllegalStateException: disk full"), e.getMessage());
    }

    @Test
    void aFileTruncatedWhileMappedIsItsOwnErrorRow() throws Exception {
        Path root = tree(6);
        Result r = scan(root, 1, FailingBackend.on(1, a -> {
            try (FileChannel ch = FileChannel.open(a.path(), StandardOpenOption.WRITE)) {
                ch.truncate(16); // the mapped weights are gone: touching them faults
            } catch (IOException x) {
                throw new java.io.UncheckedIOException(x);
            }
            return new CpuSpectrumBackend(1).compute(List.of(a));
        }), x -> {});
        assertEquals(6, r.rows().size());
        for (ScanRecord row : r.rows()) {
            boolean boom = Path.of(row.path()).getFileName().toString().startsWith("boom");
            assertEquals(boom ? ScanStatus.ERROR : ScanStatus.OK, row.status(), row.path() + " " + row.error());
            if (boom) {
                assertEquals("file changed while being scanned", row.error());
            }
        }
    }
}
