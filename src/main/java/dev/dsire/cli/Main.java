package dev.dsire.cli;

import dev.dsire.InputException;
import dev.dsire.scan.ScanFailedException;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The dsire command line: one class per subcommand, this one only wires them. */
@Command(name = "dsire", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Recovers how many images a LoRA adapter was fine-tuned on, from its weights alone (DSiRe).",
        footer = {"", "Exit codes: 0 ok; 1 some input failed (each reported on stderr as 'PATH: reason'); 2 usage error; 3 internal error;",
                "4 CUDA asked for (--device cuda) but missing or failing."})
public final class Main {
    /** Some input was bad; the rest was processed. */
    public static final int INPUT_ERROR = 1;
    public static final int USAGE = 2;
    public static final int INTERNAL_ERROR = 3;
    /** --device cuda, and CUDA is missing or failed. */
    public static final int DEVICE_ERROR = 4;

    /**
     * The subcommands, in help order. Only the one a command line names is registered: picocli builds
     * each command's model by reflection, and building all of them cost ~0.3 s of every start.
     */
    static final Map<String, Class<?>> SUBCOMMANDS = subcommands(InspectCommand.class, FeaturesCommand.class,
            FitCommand.class, PredictCommand.class, EvalCommand.class, DemoCommand.class, ScanCommand.class,
            WiseCommand.class, ExportCommand.class, ReportCommand.class, BenchCommand.class, DoctorCommand.class, CommandLine.HelpCommand.class);

    public static void main(String[] args) {
        // UTF-8 whatever the locale: every line dsire writes is UTF-8 text (JSON lines included)
        System.exit(run(args, utf8(FileDescriptor.out), utf8(FileDescriptor.err)));
    }

    private static PrintWriter utf8(FileDescriptor fd) {
        return new PrintWriter(new OutputStreamWriter(new FileOutputStream(fd), StandardCharsets.UTF_8), true);
    }

    /** Runs one command line with the given streams; returns the exit code. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new Main());
        Class<?> named = SUBCOMMANDS.get(firstWord(args));
        // each built as its own CommandLine first: addSubcommand(Class) skips the command's modelTransformer
        if (named != null && named != CommandLine.HelpCommand.class) {
            cl.addSubcommand(new CommandLine(named));
        } else { // top-level help, `help X`, or a usage error: picocli lists (or suggests) every subcommand
            SUBCOMMANDS.values().forEach(c -> cl.addSubcommand(new CommandLine(c)));
        }
        cl.setOut(out);
        cl.setErr(err);
        dev.dsire.lora.LoraReader.noteSink(err::println); // notes about files (e.g. an assumed scale) go with this run's errors
        dev.dsire.lora.LoraReader.maxRank(dev.dsire.lora.LoraReader.DEFAULT_MAX_RANK); // --max-rank, where given, sets it
        cl.setExecutionExceptionHandler((e, line, parsed) -> {
            if (e instanceof InputException ie) {
                line.getErr().println(ie.getMessage());
                return INPUT_ERROR;
            }
            if (e instanceof ScanFailedException sf) {
                line.getErr().println("dsire: scan stopped: " + InputException.oneLine(sf.getMessage()));
                return INTERNAL_ERROR;
            }
            if (e instanceof dev.dsire.cuda.CudaException) {
                line.getErr().println("dsire: CUDA: " + e.getMessage());
                return DEVICE_ERROR;
            }
            if (e instanceof IllegalArgumentException) {
                line.getErr().println("dsire: " + e.getMessage());
                return USAGE;
            }
            line.getErr().println("dsire: internal error: " + InputException.oneLine(String.valueOf(e)) + (verbose(parsed) ? "" : " (run with -v for details)"));
            if (verbose(parsed)) {
                e.printStackTrace(line.getErr());
            }
            return INTERNAL_ERROR;
        });
        int code = cl.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    /** The first argument that is not an option: the subcommand's name on any valid command line. */
    private static String firstWord(String[] args) {
        for (String a : args) {
            if (!a.startsWith("-")) {
                return a;
            }
        }
        return "";
    }

    private static Map<String, Class<?>> subcommands(Class<?>... classes) {
        Map<String, Class<?>> byName = new LinkedHashMap<>();
        for (Class<?> c : classes) {
            byName.put(c.getAnnotation(Command.class).name(), c);
        }
        return Collections.unmodifiableMap(byName);
    }

    private static boolean verbose(CommandLine.ParseResult parsed) {
        CommandLine.ParseResult p = parsed;
        while (p != null) {
            if (p.hasMatchedOption("-v")) {
                return true;
            }
            p = p.subcommand();
        }
        return false;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"dsire " + (v == null ? "(development build)" : v) + ", Java " + Runtime.version()};
        }
    }
}
