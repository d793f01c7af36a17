package dev.dsire.cli;

import dev.dsire.wise.WiseExporter;
import dev.dsire.wise.WiseInputs;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "wise", mixinStandardHelpOptions = true,
        description = {"Imports LoRA-WiSE (the paper's benchmark, Parquet): one diffusers-named safetensors file per row (F64, values exact)",
                "and DIR/manifest.csv (path,group,size; group = name, size = label) for fit, eval, predict, features and scan."})
final class WiseCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "PARQUET", description = "LoRA-WiSE Parquet files, or folders searched for *.parquet")
    List<Path> parquet;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "folder for the adapters and manifest.csv")
    Path out;

    @Option(names = "--rank", paramLabel = "R", description = "the LoRA rank (default: from --subset or the subset named in each path, e.g. low_8 or medium/32_2)")
    Integer rank;

    @Option(names = "--subset", paramLabel = "NAME", description = "keep this subset's files under folders (low_8 … high_32) and take its rank")
    String subset;

    @Override
    public Integer call() throws IOException {
        PrintWriter err = spec.commandLine().getErr();
        WiseInputs inputs = WiseInputs.of(parquet, subset, rank);
        boolean terminal = System.console() != null && System.console().isTerminal();
        WiseExporter.Result r = WiseExporter.export(inputs, out, err, terminal);
        err.println("wrote " + r.written() + " adapters and " + r.manifest());
        return r.failed() == 0 ? 0 : Main.INPUT_ERROR;
    }
}
