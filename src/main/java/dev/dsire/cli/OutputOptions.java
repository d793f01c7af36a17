package dev.dsire.cli;

import picocli.CommandLine.Option;

/** How much a command says on stderr; every subcommand mixes these in. */
final class OutputOptions {
    @Option(names = {"-v", "--verbose"},
            description = "Say more on stderr: which device computes, every note about a file, and the stack trace of an internal error.")
    boolean verbose;

    @Option(names = {"-q", "--quiet"}, description = "Print nothing on stderr but errors: no progress, notes or closing summary.")
    boolean quiet;
}
