package dev.dsire.cli;

import java.io.File;
import java.io.IOException;
import picocli.codegen.docgen.manpage.ManPageGenerator;

/** Writes the man pages (AsciiDoc) of dsire and every subcommand; the build runs it (target/man/). */
public final class ManPages {
    private ManPages() {}

    public static void main(String[] args) throws IOException {
        File dir = new File(args.length > 0 ? args[0] : "target/man");
        if (!dir.isDirectory() && !dir.mkdirs()) {
            throw new IOException("cannot create " + dir);
        }
        int code = ManPageGenerator.generateManPage(dir, null, new boolean[0], true, Main.full().getCommandSpec());
        if (code != 0) {
            throw new IOException("man page generation failed (" + code + ")");
        }
    }
}
