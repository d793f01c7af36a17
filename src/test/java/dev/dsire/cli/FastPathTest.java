package dev.dsire.cli;

import static dev.dsire.testutil.Cli.dsire;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.dsire.testutil.Cli.Run;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** inspect, features and predict read without picocli: the same command objects, the same output, and picocli for everything else. */
class FastPathTest {
    private static final Path ZOO = Path.of("examples/zoo-low");
    private static final String A = ZOO.resolve("g00-DejaVuSans-Bold-n01.safetensors").toString();
    private static final String B = ZOO.resolve("g01-DejaVuSans-BoldOblique-n03.safetensors").toString();
    private static final Set<Class<?>> MIXINS = Set.of(Inputs.class, ComputeOptions.class, OutputOptions.class);

    @TempDir
    static Path dir;
    static String model, broken, missing;

    @BeforeAll
    static void fit() throws Exception {
        model = dir.resolve("m.json").toString();
        Run fit = dsire("fit", "--manifest", ZOO.resolve("manifest.csv"), "--out", model, "-q");
        assertEquals(0, fit.code(), fit.err());
        broken = dir.resolve("broken.safetensors").toString();
        Files.write(Path.of(broken), new byte[] {8, 0, 0, 0, 0, 0, 0, 0, '{', '}'});
        missing = dir.resolve("nothing-here.safetensors").toString();
    }

    @AfterEach
    void picocliAgain() {
        Main.picocliOnly = false;
    }

    private static final List<String[]> READ = List.of(
            new String[] {"inspect", A},
            new String[] {"inspect", "--json", A, B},
            new String[] {"inspect", A, "--json"},
            new String[] {"features", A},
            new String[] {"features", "--threads", "1", A, B},
            new String[] {"features", "--json", A},
            new String[] {"predict", "--model", "MODEL", A},
            new String[] {"predict", A, "--model", "MODEL", "--json", "--threads", "2", B},
            new String[] {"inspect", "BROKEN", A},
            new String[] {"features", "MISSING"},
            new String[] {"predict", "--model", "MISSING", A},
            new String[] {"predict", "--json", "--model", "MODEL", "BROKEN", "MISSING", A});

    private static String[] resolved(String[] line) {
        return Arrays.stream(line).map(a -> switch (a) {
            case "MODEL" -> model;
            case "BROKEN" -> broken;
            case "MISSING" -> missing;
            default -> a;
        }).toArray(String[]::new);
    }

    @Test
    void theCommandObjectsArePicocliOwn() throws Exception {
        for (String[] raw : READ) {
            String[] line = resolved(raw);
            Object fast = FastPath.parse(line);
            assertNotNull(fast, String.join(" ", line));
            CommandLine cl = new CommandLine(fast.getClass());
            cl.parseArgs(Arrays.copyOfRange(line, 1, line.length));
            sameFields(cl.getCommand(), fast, String.join(" ", line));
        }
    }

    /** Every field the command and its mixins hold, but picocli's own spec. */
    private static void sameFields(Object picocli, Object fast, String where) throws IllegalAccessException {
        for (Field f : picocli.getClass().getDeclaredFields()) {
            if (Modifier.isStatic(f.getModifiers()) || f.getType() == CommandLine.Model.CommandSpec.class) {
                continue;
            }
            f.setAccessible(true);
            Object p = f.get(picocli), q = f.get(fast);
            if (MIXINS.contains(f.getType())) {
                assertNotNull(q, where + ": " + f.getName());
                sameFields(p, q, where + " " + f.getName());
            } else {
                assertEquals(p, q, where + ": " + f.getName());
            }
        }
    }

    @Test
    void theOutputIsPicocliOwn() {
        for (String[] raw : READ) {
            String[] line = resolved(raw);
            Run fast = dsire((Object[]) line);
            Main.picocliOnly = true;
            Run slow = dsire((Object[]) line);
            Main.picocliOnly = false;
            String what = String.join(" ", line);
            assertEquals(slow.code(), fast.code(), what + "\n" + slow.err() + "\n" + fast.err());
            assertEquals(slow.out(), fast.out(), what);
            assertEquals(slow.err(), fast.err(), what);
        }
        assertTrue(dsire("inspect", broken).err().contains(broken + ": "), "a failing file is named, on the fast path too");
    }

    @Test
    void everythingElseIsLeftToPicocli() {
        List<String[]> declined = List.of(
                new String[] {"inspect"},
                new String[] {"inspect", "-q", A},
                new String[] {"inspect", "--verbose", A},
                new String[] {"inspect", "--threads", "2", A},
                new String[] {"inspect", "--help"},
                new String[] {"inspect", "--json", "--json", A},
                new String[] {"inspect", "--", A},
                new String[] {"inspect", "@args.txt"},
                new String[] {"inspect", "-"},
                new String[] {"features", "--threads=2", A},
                new String[] {"features", "--threads", "0", A},
                new String[] {"features", "--threads", "02", A},
                new String[] {"features", "--threads", "-1", A},
                new String[] {"features", "--threads", "99999", A},
                new String[] {"features", "--threads", "1", "--threads", "2", A},
                new String[] {"features", "--threads"},
                new String[] {"features", "--out", "x.jsonl", A},
                new String[] {"features", "--device", "cpu", A},
                new String[] {"features", "--files-from", "-"},
                new String[] {"predict", A},
                new String[] {"predict", "--model", A},
                new String[] {"predict", "--model", "--json", A},
                new String[] {"predict", "--model", "m.json", "--model", "n.json", A},
                new String[] {"-v", "inspect", A},
                new String[] {"fit", "--manifest", "m.csv", "--out", "m.json"},
                new String[] {"scan", A});
        for (String[] line : declined) {
            assertNull(FastPath.parse(line), String.join(" ", line));
        }
        // and what picocli says of them is unchanged: a usage error, one line
        Run r = dsire("features", "--threads", "1", "--threads", "2", A);
        assertEquals(Main.USAGE, r.code(), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
    }
}
