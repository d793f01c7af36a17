package dev.dsire.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dsire.lora.Layout;
import dev.dsire.lora.LoraAdapter;
import dev.dsire.lora.LoraReader;
import dev.dsire.model.DsireModel;
import dev.dsire.model.Labelled;
import dev.dsire.model.Method;
import dev.dsire.model.ModelFile;
import dev.dsire.spectra.CpuSpectrumBackend;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.*;

/**
 * Loading a saved posterior model of the SD 1.5 layout (128 layers × 3 kinds × 2 views = 768
 * voters of dimension 32) fitted on 90 references (15 groups × 6 sizes), as format 3 writes it
 * (base64 vectors) and as format 2 did (JSON numbers), warm. The cold side, in a whole process,
 * is the predict row of bench/cold-start.sh.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class ModelLoadBench {
    private static final int[] SIZES = {1, 10, 20, 30, 40, 50};

    @Param({"3", "2"})
    int format;

    Path path;

    @Setup
    public void setup() throws IOException {
        Path file = Sd15File.write(32);
        Layout layout;
        try (CpuSpectrumBackend cpu = new CpuSpectrumBackend(1); LoraAdapter a = LoraReader.open(file)) {
            layout = cpu.compute(List.of(a)).getFirst().spectra().layout();
        }
        SplittableRandom r = new SplittableRandom(11);
        List<Labelled> train = new ArrayList<>();
        for (int i = 0; i < 90; i++) {
            int size = SIZES[i % SIZES.length];
            train.add(new Labelled(Path.of("ref" + i), PredictBench.spectra(layout, size, r), size, "g" + i / SIZES.length));
        }
        path = Files.createTempFile("dsire-model-bench", ".json");
        path.toFile().deleteOnExit();
        ModelFile.save(DsireModel.fit(Method.POSTERIOR, train), path);
        if (format == 2) { // the same doubles as JSON numbers, as format 2 stored them
            ObjectMapper json = new ObjectMapper();
            ObjectNode root = (ObjectNode) json.readTree(path.toFile());
            root.put("version", 2);
            for (JsonNode v : root.path("voters")) {
                for (String field : List.of("refs", "mean", "std")) {
                    ByteBuffer b = ByteBuffer.wrap(Base64.getDecoder().decode(v.path(field).asText())).order(ByteOrder.LITTLE_ENDIAN);
                    ArrayNode numbers = ((ObjectNode) v).putArray(field);
                    while (b.hasRemaining()) {
                        numbers.add(b.getDouble());
                    }
                }
            }
            json.writeValue(path.toFile(), root);
        }
    }

    @Benchmark
    public DsireModel load() {
        return ModelFile.load(path);
    }
}
