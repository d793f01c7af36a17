package dev.dsire.cli;

import dev.dsire.FileFailure;
import dev.dsire.lora.LoraAdapter;
import dev.dsire.model.DsireModel;
import dev.dsire.safetensors.SafetensorsFile;
import dev.dsire.model.ModelSet;
import dev.dsire.serve.Analyst;
import dev.dsire.serve.DsireHttpServer;
import dev.dsire.serve.HttpFailure;
import dev.dsire.serve.ServeLimits;
import dev.dsire.serve.Upload;
import dev.dsire.spectra.CpuSpectrumBackend;
import dev.dsire.spectra.SpectraExtractor;
import dev.dsire.model.NeighbourSearch;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Answers predict and inspect over HTTP/1.1 for platforms that audit uploads (docs/serving.md).",
                "POST /v1/predict and /v1/inspect with the adapter's bytes, a zip of a PEFT folder, or multipart/form-data;",
                "GET /healthz, GET /v1/models. The answers are the JSON lines of predict --json and inspect --json."},
        footer = {"", "Examples:",
                "  dsire serve --model models/",
                "  dsire serve --model model.json --port 0 --max-bytes 1000000000",
                "  curl --data-binary @my-lora.safetensors http://127.0.0.1:8080/v1/predict"})
final class ServeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @picocli.CommandLine.Mixin
    OutputOptions output;

    @Option(names = "--bind", paramLabel = "<address>", defaultValue = "127.0.0.1",
            description = "Address to listen on (default ${DEFAULT-VALUE}: this machine only; 0.0.0.0 opens it to the network).")
    String bind;

    @Option(names = "--port", paramLabel = "<port>", defaultValue = "8080", description = "Port (default ${DEFAULT-VALUE}; 0: any free port, printed at start).")
    int port;

    @Option(names = "--model", paramLabel = "<model>", description = {"A model file or a folder of them, loaded at start; repeatable.",
            "Without ?model=NAME a request goes to the model of its file's layout."})
    List<Path> modelPaths = List.of();

    @Option(names = "--max-bytes", paramLabel = "<bytes>", defaultValue = "2147483648", description = "Largest upload, in bytes (default ${DEFAULT-VALUE}, 2 GiB); larger ones get 413.")
    long maxBytes;

    @Option(names = "--workers", paramLabel = "<count>", description = "Requests computed at once (default: all cores, ${DEFAULT-VALUE}).")
    int workers = Runtime.getRuntime().availableProcessors();

    @Option(names = "--queue", paramLabel = "<count>", defaultValue = "32", description = "Requests admitted beyond --workers (uploading or waiting; default ${DEFAULT-VALUE}); more get 503.")
    int queue;

    @Option(names = "--timeout", paramLabel = "<seconds>", defaultValue = "120", description = "One request's limit, upload and computation (default ${DEFAULT-VALUE}); past it: 408 or 503.")
    long timeoutSeconds;

    @Option(names = "--threads", paramLabel = "<threads>", defaultValue = "1", description = "CPU threads per request (default ${DEFAULT-VALUE}: --workers requests fill the cores).")
    int threads;

    @Option(names = "--max-rank", paramLabel = "<rank>", description = "Refuses files with a layer of rank above this (default ${DEFAULT-VALUE}).")
    int maxRank = dev.dsire.lora.LoraReader.DEFAULT_MAX_RANK;

    @Option(names = "--memory", paramLabel = "<bytes>", defaultValue = "1073741824", description = {"Request bodies held in memory at once, all together (default ${DEFAULT-VALUE}, 1 GiB);",
            "a body with no room left, or sent chunked, is spooled to disk instead."})
    long memoryBytes;

    @Option(names = "--spool", paramLabel = "<dir>", description = "Where uploads that are not held in memory are kept while they are read (default: a new folder in the system temp folder).")
    Path spool;

    /** Released by the shutdown hook (SIGTERM, Ctrl-C): the server runs until the process is stopped. */
    private final CountDownLatch stop = new CountDownLatch(1);

    @Override
    public Integer call() throws IOException, InterruptedException {
        PrintWriter err = spec.commandLine().getErr();
        if (threads < 1) {
            throw new IllegalArgumentException("--threads must be at least 1");
        }
        ServeLimits limits = new ServeLimits(maxBytes, workers, queue, Duration.ofSeconds(timeoutSeconds), memoryBytes);
        dev.dsire.lora.LoraReader.maxRank(maxRank);
        dev.dsire.lora.LoraReader.noteSink(err::println); // notes about uploads go to the server's log
        ModelSet models = modelPaths.isEmpty() ? ModelSet.NONE : ModelSet.load(modelPaths);
        Path spoolDir = spool != null ? spool : Files.createTempDirectory("dsire-serve");
        // a server lives long: its kernels' vector twins are compiled now, beside the first uploads, which the
        // scalar twins answer meanwhile (switching at once made the first upload wait ~1.5 s for the compiler)
        CpuSpectrumBackend.primeVectorKernels();
        ComputeOptions.Engine engine = new ComputeOptions.Engine(new CpuSpectrumBackend(threads), NeighbourSearch.CPU, null);
        try (engine; DsireHttpServer server = DsireHttpServer.start(new InetSocketAddress(InetAddress.getByName(bind), port), limits,
                new Answers(models, engine), spoolDir)) {
            Thread hook = new Thread(() -> {
                stop.countDown();
                server.close();
            });
            Runtime.getRuntime().addShutdownHook(hook);
            err.println("dsire serve: listening on http://" + server.address().getHostString() + ":" + server.address().getPort()
                    + " (" + models.models().size() + " model" + (models.models().size() == 1 ? "" : "s") + ", " + workers + " workers, queue " + queue + ")");
            err.flush();
            stop.await();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running: it closes the server
            }
        }
        return 0;
    }

    /** The command line's own answers: the rows of predict --json and inspect --json. */
    record Answers(ModelSet loaded, ComputeOptions.Engine engine) implements Analyst {
        @Override
        public Answer predict(String name, Upload upload) {
            if (loaded.isEmpty()) {
                throw new HttpFailure(404, "no model loaded: start dsire serve with --model");
            }
            ModelSet.Entry chosen = name == null ? null : byName(name);
            // the metadata's declared count is read from the adapter the extraction opens: parsing the header a second
            // time (as predict does from a path) cost ~1 % of a request, and a second shared arena closed per request
            AtomicReference<Map<String, String>> metadata = new AtomicReference<>();
            List<SpectraExtractor.Extracted> batch = new SpectraExtractor(engine.spectra()).extract(List.of(upload.file()), f -> {
                LoraAdapter a = upload.open();
                metadata.set(a.metadata());
                return a;
            }, e -> { });
            SpectraExtractor.Extracted e = batch.getFirst();
            if (chosen == null && loaded.models().size() == 1) {
                chosen = loaded.models().getFirst(); // as predict --model M: a mismatch is the file's error
            } else if (chosen == null) {
                // the first model of the file's layout; with none (or a file that failed), the first model answers with the error
                List<ModelSet.Entry> fit = e.ok() ? loaded.matching(e.spectra().layout()) : List.of();
                chosen = fit.isEmpty() ? loaded.models().getFirst() : fit.getFirst();
            }
            PredictCommand.Row row = PredictCommand.rows(chosen.model(), engine, batch).getFirst();
            Integer declared = metadata.get() != null ? PredictCommand.declared(metadata.get())
                    : upload.image() == null ? PredictCommand.declared(() -> SafetensorsFile.open(upload.file())) // not a LoRA: its header may still state a count
                    : PredictCommand.declared(() -> SafetensorsFile.of(upload.file(), upload.image()));
            return answer(row.error() == null, row.json(name(chosen), declared), upload.name());
        }

        @Override
        public Answer inspect(Upload upload) {
            InspectCommand.Inspected i = InspectCommand.inspect(upload.file(), f -> upload.open());
            return answer(i.error() == null, i.json(), upload.name());
        }

        private static Answer answer(boolean ok, Map<String, Object> json, String shown) {
            json.put("path", shown); // the upload's name, not where it was spooled or what it was read as
            return new Answer(ok, Json.line(json));
        }

        private ModelSet.Entry byName(String name) {
            List<String> names = new ArrayList<>();
            for (ModelSet.Entry m : loaded.models()) {
                String n = name(m);
                if (n.equals(name)) {
                    return m;
                }
                names.add(n);
            }
            throw new HttpFailure(404, "no model named '" + name + "' (loaded: " + String.join(", ", names) + ")");
        }

        private static String name(ModelSet.Entry m) {
            return m.name();
        }

        @Override
        public String models() {
            List<Map<String, Object>> list = new ArrayList<>();
            for (ModelSet.Entry m : loaded.models()) {
                Map<String, Object> o = new LinkedHashMap<>();
                o.put("name", name(m));
                o.put("id", m.id());
                o.put("method", m.model().method().key());
                o.put("sizes", m.model().sizes());
                o.put("references", m.model().labels().length);
                o.put("layers", m.model().layout().layers().size());
                list.add(o);
            }
            return Json.line(Map.of("models", list));
        }
    }
}
