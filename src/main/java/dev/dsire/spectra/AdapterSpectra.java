package dev.dsire.spectra;

import dev.dsire.lora.Layout;
import java.util.List;

/** The spectra of every layer of one adapter, in the layout's (canonical name) order. */
public record AdapterSpectra(Layout layout, List<LayerSpectrum> layers) {

    public AdapterSpectra {
        layers = List.copyOf(layers);
        if (layers.size() != layout.layers().size()) {
            throw new IllegalArgumentException("one spectrum per layer of the layout");
        }
    }
}
