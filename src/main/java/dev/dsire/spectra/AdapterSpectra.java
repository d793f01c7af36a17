package dev.dsire.spectra;

import dev.dsire.lora.Layout;
import dev.dsire.lora.Recipe;
import java.util.List;

/**
 * The spectra of every layer of one adapter, in the layout's (canonical name) order, with the
 * training recipe its file states (what a recipe-aware model reads beside the spectra).
 */
public record AdapterSpectra(Layout layout, List<LayerSpectrum> layers, Recipe recipe) {

    public AdapterSpectra {
        layers = List.copyOf(layers);
        if (layers.size() != layout.layers().size()) {
            throw new IllegalArgumentException("one spectrum per layer of the layout");
        }
        java.util.Objects.requireNonNull(recipe);
    }

    /** Spectra without a stated recipe. */
    public AdapterSpectra(Layout layout, List<LayerSpectrum> layers) {
        this(layout, layers, Recipe.UNKNOWN);
    }
}
