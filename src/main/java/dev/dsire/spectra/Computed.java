package dev.dsire.spectra;

import dev.dsire.InputException;
import dev.dsire.lora.LoraAdapter;

/** What a backend made of one adapter: its spectra, or the reason it could not (never both). */
public record Computed(LoraAdapter adapter, AdapterSpectra spectra, InputException error) {

    public boolean ok() {
        return error == null;
    }
}
