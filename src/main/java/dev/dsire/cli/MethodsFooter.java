package dev.dsire.cli;

import dev.dsire.model.Method;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.IModelTransformer;
import picocli.CommandLine.Model.CommandSpec;

/** Lists every method and what it is made of under the usage of the commands that take --method(s), before their examples. */
final class MethodsFooter implements IModelTransformer {
    @Override
    public CommandSpec transform(CommandSpec spec) {
        List<String> lines = new ArrayList<>(List.of("", "Methods (feature transform × voters × voter rule × combiner):"));
        lines.addAll(Method.helpLines());
        lines.addAll(List.of(spec.usageMessage().footer())); // the command's own footer (its examples) last
        spec.usageMessage().footer(lines.toArray(String[]::new));
        return spec;
    }
}
