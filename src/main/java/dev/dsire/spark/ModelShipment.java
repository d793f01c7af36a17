package dev.dsire.spark;

import dev.dsire.model.ModelSet;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.List;

/** The model files' bytes, broadcast once to every executor, which parses them once. */
record ModelShipment(List<String> names, List<byte[]> json) implements Serializable {

    static ModelShipment of(ModelSet set) {
        return new ModelShipment(set.models().stream().map(e -> e.source().toString()).toList(),
                set.models().stream().map(ModelSet.Entry::json).toList());
    }

    ModelSet open() {
        return ModelSet.parse(names.stream().map(Path::of).toList(), json);
    }
}
