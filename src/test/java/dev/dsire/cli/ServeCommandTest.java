package dev.dsire.cli;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dsire.hostile.HostileCorpus;
import dev.dsire.model.ModelSet;
import dev.dsire.model.NeighbourSearch;
import dev.dsire.serve.DsireHttpServer;
import dev.dsire.serve.ServeLimits;
import dev.dsire.spectra.CpuSpectrumBackend;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** dsire serve over loopback: the command line's JSON for good uploads, a 4xx with one line for hostile ones, never a crash. */
class ServeCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private Path model;
    private Path train;
    private ComputeOptions.Engine engine;
    private DsireHttpServer server;
    private URI base;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() throws IOException {
        Path manifest = HostileCorpus.trainingSet(dir.resolve("train"));
        train = manifest.getParent();
        model = dir.resolve("models/corpus.json");
        Files.createDirectories(model.getParent());
        assertEquals(0, cli("fit", "--manifest", manifest.toString(), "--out", model.toString()).code);
        engine = new ComputeOptions.Engine(new CpuSpectrumBackend(1), NeighbourSearch.CPU, null);
        server = DsireHttpServer.start(new InetSocketAddress("127.0.0.1", 0), new ServeLimits(1 << 20, 2, 8, Duration.ofSeconds(60)),
                new ServeCommand.Answers(ModelSet.load(List.of(model.getParent())), engine), dir.resolve("spool"));
        base = URI.create("http://127.0.0.1:" + server.address().getPort());
    }

    @AfterEach
    void stop() {
        server.close();
        engine.close();
    }

    record Cli(int code, String out, String err) {}

    private static Cli cli(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), true),
                new PrintWriter(new OutputStreamWriter(err, StandardCharsets.UTF_8), true));
        return new Cli(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private HttpResponse<String> post(String endpoint, String name, byte[] body) throws IOException, InterruptedException {
        return post(endpoint, name, HttpRequest.BodyPublishers.ofByteArray(body));
    }

    private HttpResponse<String> post(String endpoint, String name, HttpRequest.BodyPublisher body) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(base.resolve(endpoint + "?name=" + URLEncoder.encode(name, StandardCharsets.UTF_8)))
                .header("Content-Type", "application/octet-stream").POST(body).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A PEFT folder's two files as one multipart form. */
    private HttpResponse<String> postPeft(String endpoint, Path file, Path config) throws IOException, InterruptedException {
        String b = "dsire-test-boundary-7f3a";
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (Path p : List.of(file, config)) {
            body.writeBytes(("--" + b + "\r\nContent-Disposition: form-data; name=\"f\"; filename=\"" + p.getFileName()
                    + "\"\r\nContent-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.UTF_8));
            body.writeBytes(Files.readAllBytes(p));
            body.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
        }
        body.writeBytes(("--" + b + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return http.send(HttpRequest.newBuilder(base.resolve(endpoint)).header("Content-Type", "multipart/form-data; boundary=" + b)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void predictAndInspectAnswerWhatTheCommandLinePrints() throws Exception {
        try (var s = Files.list(train)) {
            for (Path f : s.filter(p -> p.toString().endsWith(".safetensors")).sorted().toList()) {
                HttpResponse<String> p = post("/v1/predict", f.toString(), Files.readAllBytes(f));
                assertEquals(200, p.statusCode(), p.body());
                assertEquals(cli("predict", "--json", "--model", model.toString(), f.toString()).out(), p.body());
                HttpResponse<String> i = post("/v1/inspect", f.toString(), Files.readAllBytes(f));
                assertEquals(200, i.statusCode(), i.body());
                assertEquals(cli("inspect", "--json", f.toString()).out(), i.body());
            }
        }
        HttpResponse<String> named = http.send(HttpRequest.newBuilder(base.resolve("/v1/predict?model=nope")).POST(HttpRequest.BodyPublishers.ofByteArray(new byte[9])).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(404, named.statusCode());
        assertEquals("{\"error\":\"no model named 'nope' (loaded: corpus)\"}\n", named.body());
        JsonNode models = JSON.readTree(http.send(HttpRequest.newBuilder(base.resolve("/v1/models")).build(), HttpResponse.BodyHandlers.ofString()).body());
        assertEquals("corpus", models.get("models").get(0).get("name").asText());
        assertEquals(4, models.get("models").get(0).get("references").asInt());
    }

    @Test
    void theHostileCorpusGetsTheCommandLinesAnswersAndNeverA5xx() throws Exception {
        HostileCorpus.Corpus corpus = new HostileCorpus(12, false, Files.createDirectories(dir.resolve("seeds"))).write(dir.resolve("corpus"), 120);
        List<String> problems = new ArrayList<>();
        int refused = 0;
        for (Path f : corpus.files()) {
            if (!Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
                continue; // folders, links, FIFOs: things on a disk, not bodies a client can send
            }
            Path config = f.resolveSibling("adapter_config.json");
            boolean peft = f.getFileName().toString().equals("adapter_model.safetensors") && Files.isRegularFile(config);
            for (String endpoint : List.of("/v1/predict", "/v1/inspect")) {
                HttpResponse<String> r = peft ? postPeft(endpoint, f, config) : post(endpoint, f.getFileName().toString(), HttpRequest.BodyPublishers.ofFile(f));
                String how = corpus.mutation().get(f) + " " + endpoint + " -> " + r.statusCode() + " " + r.body();
                if (r.statusCode() >= 500 || r.statusCode() < 200 || r.body().lines().count() != 1 || r.body().contains("Exception")) {
                    problems.add(how);
                    continue;
                }
                if (r.statusCode() >= 400) {
                    refused++;
                }
                JsonNode got = JSON.readTree(r.body());
                if (r.statusCode() == 200 || r.statusCode() == 422) { // a row: the command line's, but for the path
                    String[] args = endpoint.endsWith("predict") ? new String[] {"predict", "--json", "--model", model.toString(), f.toString()}
                            : new String[] {"inspect", "--json", f.toString()};
                    ObjectNode want = (ObjectNode) JSON.readTree(cli(args).out());
                    want.put("path", got.get("path").asText());
                    if (!want.equals(got) || (r.statusCode() == 200) != want.get("error").isNull()) {
                        problems.add(how + "  (command line: " + want + ")");
                    }
                } else if (!got.has("error")) {
                    problems.add(how);
                }
            }
        }
        assertTrue(problems.isEmpty(), problems.size() + " problems:\n" + String.join("\n", problems));
        assertTrue(refused > 50, "the corpus is hostile: " + refused + " refusals");
        assertEquals(200, http.send(HttpRequest.newBuilder(base.resolve("/healthz")).build(), HttpResponse.BodyHandlers.ofString()).statusCode());
    }
}
