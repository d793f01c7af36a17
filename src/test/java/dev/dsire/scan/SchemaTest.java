package dev.dsire.scan;

import static dev.dsire.testutil.Cli.dsire;
import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.dsire.synth.AdapterWriter.Naming;
import dev.dsire.testutil.Cli.Run;
import dev.dsire.testutil.Zoo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One schema (docs/schema.md): the same names, types and values in JSON lines, CSV, Parquet and predict --json. */
class SchemaTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    static Path root;
    static Path db;
    static Path posterior;
    static List<JsonNode> jsonl = new ArrayList<>();

    @BeforeAll
    static void scan() throws IOException {
        root = Files.createDirectories(dir.resolve("t"));
        Path manifest = Zoo.write(root.resolve("zoo"), Naming.KOHYA, 3, List.of(1, 3, 6));
        Files.write(root.resolve("broken.safetensors"), new byte[] {1, 2, 3});
        Files.write(root.resolve("model.ckpt"), new byte[] {(byte) 0x80, 2});
        posterior = dir.resolve("posterior.json");
        Path vote = dir.resolve("vote.json");
        assertEquals(0, dsire("fit", "--manifest", manifest, "--out", posterior).code());
        assertEquals(0, dsire("fit", "--manifest", manifest, "--out", vote, "--method", "dsire").code());
        db = dir.resolve("s.sqlite");
        Run scan = dsire("scan", root, "--db", db, "--model", posterior, "--model", vote, "--jsonl", dir.resolve("scan.jsonl"));
        assertEquals(0, scan.code(), scan.err());
        Run r = dsire("export", "--db", db, "--format", "jsonl");
        assertEquals(0, r.code(), r.err());
        for (String line : r.lines()) {
            jsonl.add(JSON.readTree(line));
        }
    }

    private static List<String> names() {
        return ParquetColumns.ROW.stream().map(ParquetColumns.Column::name).toList();
    }

    @Test
    void jsonLinesCarryEveryFieldWithItsType() throws IOException {
        assertEquals(9 * 2 + 2, jsonl.size(), "a row per file and model, one per file not read");
        for (JsonNode n : jsonl) {
            assertEquals(names(), iterable(n.fieldNames()));
            for (ParquetColumns.Column c : ParquetColumns.ROW) {
                JsonNode v = n.get(c.name());
                if (v.isNull()) {
                    continue;
                }
                boolean typed = switch (c.type()) {
                    case STRING -> v.isTextual();
                    case INT, LONG -> v.isIntegralNumber();
                    case DOUBLE -> v.isNumber();
                    case BOOLEAN -> v.isBoolean();
                    case INT_ARRAY -> v.isArray() && v.size() == 2 && v.get(0).isInt() && v.get(1).isInt();
                    case DOUBLE_MAP -> v.isObject() && iterable(v.elements()).stream().allMatch(JsonNode::isNumber);
                    case INT_MAP -> v.isObject() && iterable(v.elements()).stream().allMatch(JsonNode::isInt);
                    case FLOAT_ARRAY -> false;
                };
                assertTrue(typed, c + " = " + v);
            }
        }
        List<String> scanLines = Files.readAllLines(dir.resolve("scan.jsonl"));
        assertEquals(jsonl.stream().map(JsonNode::toString).sorted().toList(),
                scanLines.stream().map(l -> read(l).toString()).sorted().toList(), "scan --jsonl writes the export's rows");
        assertTrue(jsonl.stream().anyMatch(n -> n.get("probabilities").isObject() && n.get("interval80").isArray() && n.get("agrees").isBoolean()));
        assertTrue(jsonl.stream().anyMatch(n -> n.get("votes").isObject() && n.get("model").asText().equals("vote")));
        assertTrue(jsonl.stream().anyMatch(n -> n.get("status").asText().equals("error") && n.get("error").isTextual()));
        assertTrue(jsonl.stream().anyMatch(n -> n.get("status").asText().equals("pickle")));
    }

    @Test
    void csvHoldsTheSameValues() throws IOException {
        Run r = dsire("export", "--db", db, "--format", "csv");
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.lines();
        assertEquals(String.join(",", names()), lines.getFirst());
        assertEquals(jsonl.size(), lines.size() - 1);
        for (int i = 0; i < jsonl.size(); i++) {
            List<String> cells = csvCells(lines.get(i + 1));
            assertEquals(names().size(), cells.size(), lines.get(i + 1));
            for (int c = 0; c < cells.size(); c++) {
                ParquetColumns.Column col = ParquetColumns.ROW.get(c);
                JsonNode want = jsonl.get(i).get(col.name());
                String cell = cells.get(c);
                JsonNode got = cell.isEmpty() ? JSON.nullNode() : col.type() == ParquetColumns.Type.STRING ? JSON.getNodeFactory().textNode(cell) : read(cell);
                assertEquals(want, got, col.name());
            }
        }
    }

    @Test
    void parquetHoldsTheSameValuesAndTypes() throws Exception {
        Path parquet = dir.resolve("s.parquet");
        assertEquals(0, dsire("export", "--db", db, "--format", "parquet", "--out", parquet).code());
        List<JsonNode> rows = new ArrayList<>();
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
             ResultSet types = c.createStatement().executeQuery("DESCRIBE SELECT * FROM read_parquet('" + parquet + "')")) {
            List<String> described = new ArrayList<>();
            while (types.next()) {
                described.add(types.getString(1) + " " + types.getString(2));
            }
            assertEquals(ParquetColumns.ALL.stream().map(col -> col.name() + " " + ParquetExport.sqlType(col.type())).toList(), described);
            try (ResultSet rs = c.createStatement().executeQuery("SELECT to_json(p) FROM read_parquet('" + parquet + "') p")) {
                while (rs.next()) {
                    ObjectNode n = (ObjectNode) read(rs.getString(1));
                    ParquetColumns.ALL.stream().filter(ParquetColumns.Column::parquetOnly).forEach(col -> n.remove(col.name()));
                    rows.add(n);
                }
            }
        }
        assertEquals(jsonl, rows);
    }

    @Test
    void predictJsonUsesTheSameNamesTypesAndValues() throws IOException {
        Path file = root.resolve("zoo/g1-n3/g1-n3.safetensors");
        Run r = dsire("predict", "--model", posterior, file, "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode p = read(r.out().strip());
        JsonNode row = jsonl.stream().filter(n -> n.get("path").asText().equals(file.toString()) && n.get("model").asText().equals("posterior"))
                .findFirst().orElseThrow();
        Map<String, JsonNode> shared = new TreeMap<>();
        p.fieldNames().forEachRemaining(k -> {
            if (names().contains(k)) {
                shared.put(k, p.get(k));
            }
        });
        assertTrue(shared.keySet().containsAll(List.of("prediction", "estimate", "interval80", "probabilities", "status", "declared_images", "agrees",
                "model", "error", "reason", "votes")), shared.keySet().toString());
        shared.forEach((k, v) -> assertEquals(row.get(k), v, k));
        assertEquals(3, p.get("declared_images").asInt());
    }

    private static JsonNode read(String s) {
        try {
            return JSON.readTree(s);
        } catch (IOException e) {
            throw new AssertionError(s, e);
        }
    }

    private static <T> List<T> iterable(java.util.Iterator<T> it) {
        List<T> out = new ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }

    private static List<String> csvCells(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder cell = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char ch = line.charAt(i);
            if (quoted) {
                if (ch == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    cell.append('"');
                    i++;
                } else if (ch == '"') {
                    quoted = false;
                } else {
                    cell.append(ch);
                }
            } else if (ch == '"') {
                quoted = true;
            } else if (ch == ',') {
                out.add(cell.toString());
                cell.setLength(0);
            } else {
                cell.append(ch);
            }
        }
        out.add(cell.toString());
        return out;
    }
}
