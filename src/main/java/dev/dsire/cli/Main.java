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
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The dsire command line: one class per subcommand, this one only wires them. */
@Command(name = "dsire", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = {"Estimates how many images a LoRA adapter was fine-tuned on, from its weights alone (DSiRe).", ""},
        commandListHeading = "Commands:%n",
        footer = {"", "Examples:",
                "  dsire demo                                the paper's protocol, bundled zoos",
                "  dsire fit --manifest examples/zoo-low/manifest.csv --out model.json",
                "  dsire predict --model model.json my-lora.safetensors",
                "  dsire scan ~/models --db scan.sqlite",
                "  dsire COMMAND --help                      a command's options and examples",
                "",
                "Exit codes: 0 ok; 1 some input failed (each reported on stderr as 'PATH: reason'); 2 usage error; 3 internal error;",
                "4 CUDA asked for (--device cuda) but missing or failing."})
public final class Main {
    /** Some input was bad; the rest was processed. */
    public static final int INPUT_ERROR = 1;
    public static final int USAGE = 2;
    public static final int INTERNAL_ERROR = 3;
    /** --device cuda, and CUDA is missing or failed. */
    public static final int DEVICE_ERROR = 4;

    /**
     * The subcommands, in help order, by name. Only the one a command line names is registered: picocli builds
     * each command's model by reflection, and building all of them cost ~0.3 s of every start. The names are
     * written here rather than read from each class's @Command: reading fifteen annotations (a proxy each) cost
     * a cold start ~10 ms; CliTest checks that each name is its class's.
     */
    static final Map<String, Class<?>> SUBCOMMANDS = subcommands(Map.entry("inspect", InspectCommand.class),
            Map.entry("features", FeaturesCommand.class), Map.entry("fit", FitCommand.class), Map.entry("predict", PredictCommand.class),
            Map.entry("eval", EvalCommand.class), Map.entry("demo", DemoCommand.class), Map.entry("scan", ScanCommand.class),
            Map.entry("wise", WiseCommand.class), Map.entry("export", ExportCommand.class), Map.entry("report", ReportCommand.class),
            Map.entry("bench", BenchCommand.class), Map.entry("doctor", DoctorCommand.class), Map.entry("serve", ServeCommand.class),
            Map.entry("help", CommandLine.HelpCommand.class), Map.entry("generate-completion", picocli.AutoComplete.GenerateCompletion.class));

    public static void main(String[] args) {
        ClassPreload.begin(firstWord(args)); // later stages' static initialisers on the second core (one-file commands)
        // UTF-8 whatever the locale: every line dsire writes is UTF-8 text (JSON lines included)
        String handOff = System.getProperty("dsire.handoff"); // set by the launcher on a first call (docs/daemon.md)
        if (handOff != null) {
            dev.dsire.daemon.DaemonServer.prepare(); // beside the command: where this process will listen afterwards
        }
        int code = run(args, utf8(FileDescriptor.out), utf8(FileDescriptor.err),
                Terminal.isTerminal(Terminal.STDOUT), Terminal.isTerminal(Terminal.STDERR));
        if (handOff != null) {
            dev.dsire.daemon.DaemonServer.handOff(code, handOff); // returns only if the launcher could not be told
        } else if (code == 0 && onlyDaemonThreadsLeft()) {
            // the JVM ends as main returns, shutdown hooks run; System.exit would first look up Runtime's
            // exit logger, which starts the logging framework: ~12 ms of a one-file process
            return;
        }
        System.exit(code);
    }

    /** Whether every live platform thread but this one is a daemon, so that returning from main ends the JVM. */
    private static boolean onlyDaemonThreadsLeft() {
        ThreadGroup root = Thread.currentThread().getThreadGroup();
        while (root.getParent() != null) {
            root = root.getParent();
        }
        Thread[] live = new Thread[root.activeCount() + 16];
        int n = root.enumerate(live, true);
        if (n == live.length) {
            return false; // some may not have fitted
        }
        for (int i = 0; i < n; i++) {
            if (!live[i].isDaemon() && live[i] != Thread.currentThread()) {
                return false;
            }
        }
        return true;
    }

    private static PrintWriter utf8(FileDescriptor fd) {
        return new PrintWriter(new OutputStreamWriter(new FileOutputStream(fd), StandardCharsets.UTF_8), true);
    }

    /** Every command line through picocli (FastPathTest compares the two). */
    static volatile boolean picocliOnly;

    /** Whether this run's stderr is a terminal (a progress bar) or a log (plain lines); set by {@link #run}. */
    private static final ScopedValue<Boolean> ERR_TERMINAL = ScopedValue.newInstance();

    static boolean stderrIsTerminal() {
        return ERR_TERMINAL.orElse(false);
    }

    /** Runs one command line with the given streams, neither of them a terminal; returns the exit code. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        return run(args, out, err, false, false);
    }

    /** Runs one command line; a stream that is a terminal gets colours (stdout) or a progress bar (stderr). */
    public static int run(String[] args, PrintWriter out, PrintWriter err, boolean outTerminal, boolean errTerminal) {
        Object direct = picocliOnly ? null : FastPath.parse(args);
        if (direct != null) {
            return fast(direct, out, err, errTerminal);
        }
        Class<?> named = SUBCOMMANDS.get(firstWord(args));
        // only the named subcommand is built: picocli builds each command's model by reflection, and
        // building all of them cost ~0.3 s of every start. Help, completion and usage errors see them all.
        boolean versionOnly = args.length == 1 && (args[0].equals("-V") || args[0].equals("--version")); // needs no subcommand
        CommandLine cl = versionOnly ? withSubcommands(List.of())
                : named != null && named != CommandLine.HelpCommand.class && named != picocli.AutoComplete.GenerateCompletion.class
                ? withSubcommands(List.of(named)) : full();
        cl.setOut(out);
        cl.setErr(err);
        // escape codes only on a terminal: a redirected help or log stays plain text
        cl.setColorScheme(CommandLine.Help.defaultColorScheme(outTerminal ? CommandLine.Help.Ansi.AUTO : CommandLine.Help.Ansi.OFF));
        dev.dsire.lora.LoraReader.maxRank(dev.dsire.lora.LoraReader.DEFAULT_MAX_RANK); // --max-rank, where given, sets it
        Notes[] notes = {new Notes(err, false, errTerminal)};
        dev.dsire.lora.LoraReader.noteSink(notes[0]); // notes about files (e.g. an assumed scale) go with this run's errors
        cl.setExecutionStrategy(parsed -> {
            notes[0] = new Notes(err, matched(parsed, "--verbose"), errTerminal);
            dev.dsire.lora.LoraReader.noteSink(notes[0]);
            try {
                return new CommandLine.RunLast().execute(parsed);
            } finally {
                notes[0].summarise(matched(parsed, "--quiet"));
            }
        });
        cl.setParameterExceptionHandler(Main::usageError);
        cl.setExecutionExceptionHandler((e, line, parsed) -> failed(e, line.getErr(), matched(parsed, "--verbose")));
        int code = ScopedValue.where(ERR_TERMINAL, errTerminal).call(() -> cl.execute(args));
        out.flush();
        err.flush();
        return code;
    }

    /** The exit code of a command that threw e, its one-line reason printed on err (the stack trace too if verbose). */
    private static int failed(Exception e, PrintWriter err, boolean verbose) {
        if (e instanceof InputException ie) {
            err.println(ie.getMessage());
            return INPUT_ERROR;
        }
        if (e instanceof ScanFailedException sf) {
            err.println("dsire: scan stopped: " + InputException.oneLine(sf.getMessage()));
            return INTERNAL_ERROR;
        }
        if (e instanceof dev.dsire.cuda.CudaException) {
            err.println("dsire: CUDA: " + e.getMessage());
            return DEVICE_ERROR;
        }
        if (e instanceof IllegalArgumentException) {
            err.println("dsire: " + e.getMessage());
            return USAGE;
        }
        if (e instanceof java.io.IOException || e instanceof java.io.UncheckedIOException) { // an output or a database: its path and the reason
            err.println(ioLine(e instanceof java.io.UncheckedIOException u ? u.getCause() : (java.io.IOException) e));
            return INPUT_ERROR;
        }
        err.println("dsire: internal error: " + InputException.oneLine(String.valueOf(e)) + (verbose ? "" : " (run with -v for details)"));
        if (verbose) {
            e.printStackTrace(err);
        }
        return INTERNAL_ERROR;
    }

    /**
     * A command line {@link FastPath} reads, run as picocli would run it: the same notes, exit codes and
     * one-line errors (none of its lines says -q or -v).
     */
    private static int fast(Object command, PrintWriter out, PrintWriter err, boolean errTerminal) {
        dev.dsire.lora.LoraReader.maxRank(dev.dsire.lora.LoraReader.DEFAULT_MAX_RANK);
        Notes notes = new Notes(err, false, errTerminal);
        dev.dsire.lora.LoraReader.noteSink(notes);
        int code = 0;
        Exception thrown = null;
        try {
            code = ScopedValue.where(ERR_TERMINAL, errTerminal).call(() -> FastPath.run(command, out, err));
        } catch (Exception e) {
            thrown = e;
        } finally {
            notes.summarise(false); // before the error line, as picocli's execution strategy does
        }
        if (thrown != null) {
            code = failed(thrown, err, false);
        }
        out.flush();
        err.flush();
        return code;
    }

    /** "PATH: reason" for a file the command could not read or write, in words. */
    static String ioLine(java.io.IOException x) {
        if (x instanceof java.nio.file.FileSystemException f && f.getFile() != null) {
            java.nio.file.Path p = java.nio.file.Path.of(f.getFile()).toAbsolutePath();
            String why = x instanceof java.nio.file.NoSuchFileException && p.getParent() != null && !java.nio.file.Files.isDirectory(p.getParent())
                    ? "its folder " + p.getParent() + " does not exist" : dev.dsire.IoReason.of(x);
            return InputException.oneLine(f.getFile()) + ": " + why;
        }
        return "dsire: " + dev.dsire.IoReason.of(x);
    }

    /** A usage error is one line and a pointer to the command's help, not the whole help. */
    private static int usageError(CommandLine.ParameterException ex, String[] args) {
        CommandLine c = ex.getCommandLine();
        PrintWriter e = c.getErr();
        String suggest = "";
        if (ex instanceof CommandLine.UnmatchedArgumentException u && !u.getSuggestions().isEmpty()) {
            suggest = " (did you mean " + String.join(" or ", u.getSuggestions()) + "?)";
        }
        e.println("dsire: " + InputException.oneLine(ex.getMessage()) + suggest + "; see '" + c.getCommandSpec().qualifiedName() + " --help'");
        e.flush();
        return USAGE;
    }

    /** dsire with every subcommand: for help, shell completion and man pages. */
    static CommandLine full() {
        return withSubcommands(SUBCOMMANDS.values());
    }

    private static CommandLine withSubcommands(java.util.Collection<Class<?>> commands) {
        CommandLine cl = new CommandLine(new Main());
        for (Class<?> c : commands) {
            cl.addSubcommand(new CommandLine(c)); // built first: addSubcommand(Class) skips the command's modelTransformer
        }
        CommandLine completion = cl.getSubcommands().get("generate-completion");
        if (completion != null) { // picocli hides it and words it as a fragment; dsire lists it like any command
            completion.getCommandSpec().usageMessage().hidden(false)
                    .description("Prints a bash and zsh completion script for dsire.",
                            "Load it in the current shell with the first example, or save it where your shell looks for completions.")
                    .footer("", "Examples:", "  source <(dsire generate-completion)",
                            "  dsire generate-completion > ~/.local/share/bash-completion/completions/dsire");
        }
        return cl;
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

    @SafeVarargs
    private static Map<String, Class<?>> subcommands(Map.Entry<String, Class<?>>... named) {
        Map<String, Class<?>> byName = new LinkedHashMap<>();
        for (Map.Entry<String, Class<?>> e : named) {
            byName.put(e.getKey(), e.getValue());
        }
        return Collections.unmodifiableMap(byName);
    }

    /** Whether the command line (the subcommand's options included) has the option, by any of its names. */
    private static boolean matched(CommandLine.ParseResult parsed, String option) {
        for (CommandLine.ParseResult p = parsed; p != null; p = p.subcommand()) {
            if (p.hasMatchedOption(option)) {
                return true;
            }
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
