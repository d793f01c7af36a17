package dev.dsire.eval;

import dev.dsire.model.Labelled;
import dev.dsire.spectra.AdapterSpectra;
import java.nio.file.Path;

/** One labelled adapter with its spectra, extracted once for every repeat of the protocol. */
public record Sample(Path path, String group, int size, AdapterSpectra spectra) {

    /** As training data for a model (with its group, which leave-one-group-out holds out together). */
    public Labelled labelled() {
        return new Labelled(path, spectra, size, group);
    }
}
