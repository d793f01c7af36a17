package dev.dsire.model;

import dev.dsire.spectra.AdapterSpectra;
import java.nio.file.Path;

/**
 * Training data: one adapter's spectra, the number of images it was fine-tuned on, and its group
 * (micro-dataset), which leave-one-group-out holds out together.
 */
public record Labelled(Path path, AdapterSpectra spectra, int size, String group) {

    /** Without a known group each adapter is its own (leave-one-out). */
    public Labelled(Path path, AdapterSpectra spectra, int size) {
        this(path, spectra, size, path.toString());
    }
}
