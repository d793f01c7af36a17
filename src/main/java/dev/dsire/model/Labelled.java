package dev.dsire.model;

import dev.dsire.spectra.AdapterSpectra;
import java.nio.file.Path;

/** Training data: one adapter's spectra and the number of images it was fine-tuned on. */
public record Labelled(Path path, AdapterSpectra spectra, int size) {}
