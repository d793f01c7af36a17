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

@Command(name = "wise", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Imports LoRA-WiSE (the paper's benchmark, Parquet) as one diffusers-named safetensors file per row (F64, values exact).",
                "It also writes DIR/manifest.csv (path,group,size; group = name, size = label) for fit, eval, predict, features and scan."},
        footer = {"", "Examples:",
                "  dsire wise lora-wise/low_8 --out wise-low8",
                "  dsire wise data.parquet --subset medium_32 --out wise-m32"})
final class WiseCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "<parquet>", description = "LoRA-WiSE Parquet files, or folders searched for *.parquet.")
    List<Path> parquet;

    @Option(names = "--out", required = true, paramLabel = "<dir>", description = "The folder for the adapters and manifest.csv.")
    Path out;

    @Option(names = "--rank", paramLabel = "<rank>", description = "The LoRA rank (default: from --subset or the subset named in each path, e.g. low_8 or medium/32_2).")
    Integer rank;

    @Option(names = "--subset", paramLabel = "<subset>", description = "Keep this subset's files under folders (low_8 … high_32) and take its rank.")
    String subset;

    @picocli.CommandLine.Mixin
    OutputOptions output;

    @Override
    public Integer call() throws IOException {
        PrintWriter err = spec.commandLine().getErr();
        WiseInputs inputs = WiseInputs.of(parquet, subset, rank);
        WiseExporter.Result r = WiseExporter.export(inputs, out, err, !output.quiet && Main.stderrIsTerminal());
        if (!output.quiet) {
            err.println("wrote " + r.written() + " adapters and " + r.manifest());
        }
        return r.failed() == 0 ? 0 : Main.INPUT_ERROR;
    }
}
