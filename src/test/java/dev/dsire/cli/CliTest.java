package dev.dsire.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dsire.safetensors.DType;
import dev.dsire.safetensors.SafetensorsWriter;
import dev.dsire.synth.AdapterWriter;
import dev.dsire.synth.AdapterWriter.Naming;
import dev.dsire.synth.BaseModels;
import dev.dsire.testutil.Cli.Run;
import dev.dsire.testutil.Zoo;
import static dev.dsire.testutil.Cli.dsire;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line end to end, in process: output, error lines and exit codes. */
class CliTest {
    static final ObjectMapper JSON = new ObjectMapper();


    @TempDir
    Path dir;



    private Path sd15(String name, Naming naming, int rank) throws IOException {
        Path d = Files.createDirectories(dir.resolve(name + "-dir"));
        return AdapterWriter.write(d.resolve(name), naming, BaseModels.sd15(), rank, rank / 2.0, DType.F16,
                AdapterWriter.random(BaseModels.sd15(), rank, 3),
                Map.of("ss_dataset_dirs", "{\"5_cats\": {\"n_repeats\": 5, \"img_count\": 24}}", "ss_num_train_images", "120"));
    }

    @Test
    void inspectDescribesAFileInTextAndJson() throws IOException {
        Path f = sd15("cat.safetensors", Naming.KOHYA, 4);
        Run text = dsire("inspect", f);
        assertEquals(0, text.code(), text.err());
        assertTrue(text.out().contains("format=kohya family=SD1.x rank=4 alpha=2.0 layers=128 dtype=F16"), text.out());
        assertTrue(text.out().contains("train_images=24"));
        Run json = dsire("inspect", "--json", f);
        JsonNode n = JSON.readTree(json.out());
        assertEquals(List.of("path", "format", "family", "rank", "alpha", "layers", "dtype", "bytes", "train_images", "learning_rate", "train_steps", "scale_source",
                        "variants", "error"),
                iterable(n.fieldNames()));
        assertEquals(24, n.get("train_images").asInt());
        assertEquals(Files.size(f), n.get("bytes").asLong());
        assertTrue(n.get("error").isNull());
    }

    @Test
    void inspectGoesOnPastBadFilesAndExitsNonZero() throws IOException {
        Path good = sd15("good.safetensors", Naming.PEFT, 2);
        Path bad = dir.resolve("bad.safetensors");
        Files.write(bad, new byte[] {1, 2, 3});
        Path pickle = dir.resolve("model.ckpt");
        Files.write(pickle, new byte[] {(byte) 0x80, 2});
        Run r = dsire("inspect", "--json", bad, good, pickle);
        assertEquals(Main.INPUT_ERROR, r.code());
        List<String> errs = r.err().lines().toList();
        assertEquals(2, errs.size(), r.err());
        assertTrue(errs.get(0).startsWith(bad + ": "));
        assertTrue(errs.get(1).startsWith(pickle + ": pickle"));
        assertFalse(r.err().contains("Exception"), "no stack traces");
        assertEquals(3, r.lines().size());
        assertEquals("peft", JSON.readTree(r.lines().get(1)).get("format").asText());
        assertFalse(JSON.readTree(r.lines().get(0)).get("error").isNull());
    }

    @Test
    void featuresAreExactJsonLinesAndDeterministic() throws IOException {
        Path f = sd15("x.safetensors", Naming.DIFFUSERS, 4);
        Path out1 = dir.resolve("f1.jsonl"), out2 = dir.resolve("f2.jsonl");
        assertEquals(0, dsire("features", "--threads", 2, "--jsonl", out1, f).code());
        assertEquals(0, dsire("features", "--threads", 1, "--jsonl", out2, f).code());
        assertArrayEquals(Files.readAllBytes(out1), Files.readAllBytes(out2), "thread count does not change results");
        JsonNode n = JSON.readTree(Files.readString(out1));
        assertEquals(128, n.get("layers").size());
        JsonNode l = n.get("layers").get("unet.down_blocks_0_attentions_0_transformer_blocks_0_attn2_to_k");
        assertEquals(4, l.get("ba").size());
        assertTrue(l.get("a").get(0).asDouble() >= l.get("a").get(3).asDouble());
    }

    @Test
    void fitPredictAcrossFormatsAndRefuseOtherLayouts() throws IOException {
        Path manifest = Zoo.write(dir.resolve("train"), Naming.PEFT, 3, List.of(1, 2, 4, 8));
        Path model = dir.resolve("model.json");
        Run fit = dsire("fit", "--manifest", manifest, "--method", "dsire", "--out", model);
        assertEquals(0, fit.code(), fit.err());
        assertTrue(fit.out().contains("fitted dsire (spectrum × per-layer a,b,ba × 1nn × vote) on 12 adapters"), fit.out());

        Zoo.write(dir.resolve("test"), Naming.KOHYA, 1, List.of(4));
        Path kohya = dir.resolve("test/g0-n4/g0-n4.safetensors");
        Path other = sd15("other.safetensors", Naming.KOHYA, 4);
        Run p = dsire("predict", "--model", model, "--json", kohya, other);
        assertEquals(Main.INPUT_ERROR, p.code());
        JsonNode first = JSON.readTree(p.lines().get(0));
        assertEquals(4, first.get("prediction").asInt());
        int votes = 0;
        for (JsonNode v : first.get("votes")) {
            votes += v.asInt();
        }
        assertEquals(12, votes, "4 layers × 3 kinds vote");
        JsonNode second = JSON.readTree(p.lines().get(1));
        assertTrue(second.get("prediction").isNull());
        assertTrue(second.get("error").asText().startsWith("model expects other rank 4, 4 layers; file has SD1.x rank 4, 128 layers"));
        assertEquals(other + ": " + second.get("error").asText(), p.err().strip());
    }

    @Test
    void fitFromKohyaMetadata() throws IOException {
        Zoo.write(dir.resolve("z"), Naming.KOHYA, 2, List.of(1, 3));
        List<Path> files;
        try (var s = Files.walk(dir.resolve("z"))) {
            files = s.filter(p -> p.toString().endsWith(".safetensors")).sorted().toList();
        }
        Object[] args = new Object[5 + files.size()];
        args[0] = "fit";
        args[1] = "--out";
        args[2] = dir.resolve("m.json");
        args[3] = "--method";
        args[4] = "frobenius";
        for (int i = 0; i < files.size(); i++) {
            args[5 + i] = files.get(i);
        }
        Run r = dsire(concat(args, "--labels-from-metadata"));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("sizes [1, 3]"), r.out());
    }

    private static Object[] concat(Object[] args, String flag) {
        Object[] out = new Object[args.length + 1];
        System.arraycopy(args, 0, out, 0, 5);
        out[5] = flag;
        System.arraycopy(args, 5, out, 6, args.length - 5);
        return out;
    }

    @Test
    void evalPrintsTheProtocolsJsonAndAReport() throws IOException {
        Path manifest = Zoo.write(dir.resolve("zoo"), Naming.KOHYA, 17, List.of(1, 2, 4));
        Path report = dir.resolve("r.html");
        Run r = dsire("eval", "--manifest", manifest, "--methods", "all", "--json", "--report", report);
        assertEquals(0, r.code(), r.err());
        JsonNode n = JSON.readTree(r.out());
        assertEquals(dev.dsire.model.Method.all().size(), n.get("methods").size());
        JsonNode dsire = n.get("methods").get(0);
        assertEquals("dsire", dsire.get("method").asText());
        assertEquals(List.of("method", "mae_mean", "mae_std", "mape_mean", "mape_std", "acc_mean", "acc_std", "coverage80_mean",
                "coverage80_std", "ood_rate", "composition"), iterable(dsire.fieldNames()));
        assertTrue(dsire.get("coverage80_mean").isNull(), "a vote has no interval");
        assertEquals(100.0, dsire.get("acc_mean").asDouble(), 1e-9);
        assertEquals(3, n.get("confusion").get("dsire").get("counts").size());
        String html = Files.readString(report);
        assertTrue(html.contains("<svg") && html.contains("frobenius") && !html.contains("<script"));
        Run again = dsire("eval", "--manifest", manifest, "--methods", "all", "--json");
        assertEquals(r.out(), again.out(), "same input, same output");
    }

    @Test
    void usageErrorsAreOneLine() throws IOException {
        Path manifest = Zoo.write(dir.resolve("zoo"), Naming.KOHYA, 3, List.of(1, 2));
        Run r = dsire("eval", "--manifest", manifest);
        assertEquals(Main.USAGE, r.code());
        assertEquals("dsire: the protocol needs more than 15 groups to leave a test set; the data has 3", r.err().strip());
        Run m = dsire("eval", "--manifest", manifest, "--train-groups", "1", "--methods", "nope");
        assertEquals(Main.USAGE, m.code());
        assertTrue(m.err().contains("unknown method 'nope'"));
        Files.writeString(manifest, "file,label\n");
        Run bad = dsire("fit", "--manifest", manifest, "--out", dir.resolve("m.json"));
        assertEquals(Main.INPUT_ERROR, bad.code());
        assertEquals(manifest + ": first line must be the header path,group,size", bad.err().strip());
        assertEquals(Main.USAGE, dsire("predict", "--model").code());
    }

    @Test
    void helpAndVersion() {
        Run h = dsire("--help");
        assertEquals(0, h.code());
        for (String c : List.of("inspect", "features", "fit", "predict", "eval", "demo")) {
            assertTrue(h.out().contains(c), c);
        }
        Run v = dsire("--version");
        assertEquals(0, v.code());
        assertTrue(v.out().startsWith("dsire "));
        assertEquals(v.out(), dsire("-V").out()); // both read without building any subcommand
        // only the named subcommand is built (start-up time); help and errors still see them all
        for (var c : Main.SUBCOMMANDS.entrySet()) {
            assertTrue(h.out().contains(c.getKey()), c.getKey());
            // the table names each command as its @Command does (written out: reading the annotations cost every start)
            assertEquals(c.getValue().getAnnotation(picocli.CommandLine.Command.class).name(), c.getKey());
        }
        Run sub = dsire("help", "scan");
        assertEquals(0, sub.code());
        assertTrue(sub.out().contains("Usage: dsire scan"), sub.out());
        assertTrue(dsire("features", "--help").out().contains("Usage: dsire features"));
        Run typo = dsire("feature", "x.safetensors");
        assertEquals(Main.USAGE, typo.code());
        assertTrue(typo.err().contains("features"), typo.err()); // picocli's suggestion
    }

    @Test
    void nonFiniteWeightsFailOneFileOnly() throws IOException {
        Path nan = dir.resolve("nan.safetensors");
        new SafetensorsWriter().put("x.lora_A.weight", DType.F32, new long[] {1, 2}, new double[] {1, Double.NaN})
                .put("x.lora_B.weight", DType.F32, new long[] {2, 1}, new double[] {1, 2}).write(nan);
        Path good = sd15("ok.safetensors", Naming.KOHYA, 2);
        Run r = dsire("features", nan, good);
        assertEquals(Main.INPUT_ERROR, r.code());
        assertEquals(1, r.lines().size());
        // the file has no adapter_config.json: a "dsire: note:" line says its scale is assumed
        String errors = String.join("\n", r.err().lines().filter(l -> !l.startsWith("dsire: note: ")).toList());
        assertTrue(errors.startsWith(nan + ": layer"), r.err());
        assertTrue(errors.contains("NaN"));
    }

    private static List<String> iterable(java.util.Iterator<String> it) {
        List<String> out = new java.util.ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }
}
