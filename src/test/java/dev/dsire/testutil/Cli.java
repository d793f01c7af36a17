package dev.dsire.testutil;

import dev.dsire.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/** Runs the command line in process and captures what it prints. */
public final class Cli {
    private Cli() {}

    public record Run(int code, String out, String err) {
        public List<String> lines() {
            return out.lines().toList();
        }
    }

    /** Arguments are turned into strings; stderr comes back without --device auto's one note line. */
    public static Run dsire(Object... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(Arrays.stream(args).map(Object::toString).toArray(String[]::new), new PrintWriter(out), new PrintWriter(err));
        String errText = err.toString().lines().filter(l -> !l.startsWith("dsire: device auto -> "))
                .map(l -> l + "\n").collect(Collectors.joining());
        return new Run(code, out.toString(), errText);
    }
}
