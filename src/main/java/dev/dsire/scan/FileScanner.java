package dev.dsire.scan;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dsire.FileFailure;
import dev.dsire.InputException;
import dev.dsire.lora.KohyaMetadata;
import dev.dsire.lora.LayerShape;
import dev.dsire.lora.Layout;
import dev.dsire.lora.LoraAdapter;
import dev.dsire.lora.LoraException;
import dev.dsire.lora.LoraReader;
import dev.dsire.lora.Recipe;
import dev.dsire.hub.DeclaredLabel;
import dev.dsire.hub.LayoutName;
import dev.dsire.hub.TrainingRun;
import dev.dsire.model.ModelSet;
import dev.dsire.spectra.AdapterSpectra;
import dev.dsire.spectra.Computed;
import dev.dsire.spectra.LayerSpectrum;
import dev.dsire.spectra.SpectrumBackend;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * One file in, one scan record out: read, spectra, prediction by the model of the file's layout.
 * Never throws for bad input. The local {@link Scanner} and the Spark job both call this, so their
 * rows cannot drift. Not thread-safe when the backend is not: give each thread its own.
 */
public final class FileScanner {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final SpectrumBackend backend;
    private final ModelSet models;

    /** models: null or empty to scan without predicting. */
    public FileScanner(SpectrumBackend backend, ModelSet models) {
        this.backend = backend;
        this.models = models == null ? ModelSet.NONE : models;
    }

    /**
     * The file's row whatever happens while reading it: a failure of any kind (a bug, a fault on a
     * mapped page, a heap exhausted by one file) becomes its error row. Rethrows only what cannot
     * be contained (see {@link FileFailure#containable}).
     */
    public ScanRecord scanContained(Found f) {
        return scanContained(f, String.valueOf(f.path()));
    }

    /** As {@link #scanContained(Found)}, the row naming the file {@code name}. */
    public ScanRecord scanContained(Found f, String name) {
        try {
            return scan(f, name);
        } catch (RuntimeException | Error e) {
            String changed = f.problem() == null && f.path() != null ? changedSince(f) : null;
            return ScanRecord.failed(name, f.size(), f.mtime(), ScanStatus.ERROR,
                    changed != null ? changed : FileFailure.of(f.path(), e).reason());
        }
    }

    public ScanRecord scan(Found f) {
        return scan(f, f.path().toString());
    }

    /**
     * @param name what the row calls the file, when it is read from elsewhere (a remote file staged
     *             locally under its own name and mtime)
     */
    public ScanRecord scan(Found f, String name) {
        String path = name;
        if (f.problem() != null) {
            return ScanRecord.failed(path, f.size(), f.mtime(), ScanStatus.ERROR, f.problem());
        }
        if (LoraReader.isPickleName(f.path())) {
            return ScanRecord.failed(path, f.size(), f.mtime(), ScanStatus.PICKLE, "pickle format, not read");
        }
        try (LoraAdapter a = LoraReader.open(f.path())) {
            ScanRecord r = read(f, path, a);
            String changed = changedSince(f);
            return changed == null ? r : ScanRecord.failed(path, f.size(), f.mtime(), ScanStatus.ERROR, changed);
        } catch (LoraException e) {
            ScanStatus s = e.kind() == LoraException.Kind.PICKLE_FORMAT ? ScanStatus.PICKLE : ScanStatus.ERROR;
            return ScanRecord.failed(path, f.size(), f.mtime(), s, e.reason());
        } catch (InputException e) {
            return ScanRecord.failed(path, f.size(), f.mtime(), ScanStatus.ERROR, e.reason());
        }
    }

    private ScanRecord read(Found f, String path, LoraAdapter a) {
        Layout layout = a.layout();
        KohyaMetadata k = a.kohya();
        Map<String, String> meta = a.metadata();
        Optional<DeclaredLabel> declared = DeclaredLabel.of(k);
        Recipe recipe = Recipe.of(meta);
        List<Integer> ranks = layout.ranks();
        List<Computed> c = backend.compute(List.of(a));
        Computed computed = c.getFirst();
        ScanStatus status = ScanStatus.OK;
        String error = null;
        byte[] spectra = null;
        List<Answer> answers = new ArrayList<>();
        if (!computed.ok()) {
            status = ScanStatus.ERROR;
            error = computed.error().reason();
        } else {
            spectra = pack(computed.spectra());
            for (ModelSet.Entry e : models.matching(layout)) { // every model of the layout answers, each under its name
                answers.add(Answer.of(e.name(), e.model().predict(f.path(), computed.spectra())));
            }
        }
        return new ScanRecord(path, f.size(), f.mtime(), a.file().headerSha256(), a.format().label(),
                a.base().label(), ranks.stream().map(String::valueOf).collect(Collectors.joining(",")), a.layers().size(),
                a.dtype(), a.bytes(), a.facts().scaleSource(), declared.map(DeclaredLabel::images).orElse(null),
                declared.map(DeclaredLabel::source).orElse(null), recipe.statedLearningRate(), recipe.statedSteps(), TrainingRun.of(meta, path),
                declared.isPresent() ? k.trainGroup() : null, status, error,
                layout.fingerprint(), layoutJson(layout), LayoutName.of(layout), spectra, answers);
    }

    /** null when the file still has the size and mtime it was found with. */
    private static String changedSince(Found f) {
        try {
            BasicFileAttributes now = Files.readAttributes(f.path(), BasicFileAttributes.class);
            return now.size() == f.size() && now.lastModifiedTime().toMillis() == f.mtime() ? null : "file changed while being scanned";
        } catch (IOException e) {
            return "file vanished while being scanned";
        }
    }

    static byte[] pack(AdapterSpectra s) {
        int n = 0;
        for (LayerSpectrum l : s.layers()) {
            n += l.a().length + l.b().length + l.ba().length;
        }
        ByteBuffer b = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
        for (LayerSpectrum l : s.layers()) {
            for (double[] v : List.of(l.a(), l.b(), l.ba())) {
                for (double d : v) {
                    b.putFloat((float) d);
                }
            }
        }
        return b.array();
    }

    static String layoutJson(Layout layout) {
        try {
            return JSON.writeValueAsString(layout.layers().stream()
                    .map((LayerShape l) -> List.of(l.name(), l.rank(), l.outDim(), l.inDim())).toList());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
