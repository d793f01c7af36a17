package dev.dsire.cli;

import dev.dsire.cuda.CudaProbe;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import jdk.incubator.vector.DoubleVector;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = {"Reports Java, OS, CPU, the CUDA driver and libraries found, the GPUs, and the backend --device auto would pick.",
                "Works, and exits 0, on machines without any GPU."})
final class DoctorCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        out.printf("java      %s (%s)%n", Runtime.version(), System.getProperty("java.vendor"));
        out.printf("os        %s %s (%s)%n", System.getProperty("os.name"), System.getProperty("os.version"), System.getProperty("os.arch"));
        out.printf("cpu       %d cores; Vector API %d-bit double lanes%n", Runtime.getRuntime().availableProcessors(),
                DoubleVector.SPECIES_PREFERRED.vectorBitSize());
        CudaProbe p = CudaProbe.run();
        for (String line : p.lines()) {
            out.println(line);
        }
        out.printf("auto      %s%n", p.usable() ? p.gpu() : "cpu (" + p.reason() + ")");
        return 0;
    }
}
