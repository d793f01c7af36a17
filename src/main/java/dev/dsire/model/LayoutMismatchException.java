package dev.dsire.model;

import dev.dsire.InputException;
import dev.dsire.lora.LayerShape;
import dev.dsire.lora.Layout;
import java.nio.file.Path;

/** An adapter whose layers differ from the ones a model was fitted on. */
public final class LayoutMismatchException extends InputException {

    public LayoutMismatchException(Path file, Layout expected, Layout actual) {
        super(file, "model expects " + expected.describe() + "; file has " + actual.describe() + firstDifference(expected, actual));
    }

    /** None of several models has the file's layout. */
    public LayoutMismatchException(Path file, int models, Layout actual) {
        super(file, "none of the " + models + " models has this layout; file has " + actual.describe());
    }

    private static String firstDifference(Layout expected, Layout actual) {
        if (!expected.describe().equals(actual.describe())) {
            return "";
        }
        for (int i = 0; i < expected.layers().size(); i++) {
            LayerShape e = expected.layers().get(i), a = actual.layers().get(i);
            if (!e.equals(a)) {
                return " (first difference: expected " + e.name() + " " + e.outDim() + "x" + e.inDim() + " rank " + e.rank()
                        + ", found " + a.name() + " " + a.outDim() + "x" + a.inDim() + " rank " + a.rank() + ")";
            }
        }
        return "";
    }
}
