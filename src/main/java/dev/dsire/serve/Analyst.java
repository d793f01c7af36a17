package dev.dsire.serve;

import java.nio.file.Path;

/** What the server asks of dsire: the command line's answers for one uploaded adapter, as JSON text. */
public interface Analyst {
    /**
     * One JSON object, exactly as the command's `--json` line writes it.
     *
     * @param ok whether the file was read (false: the object carries its error; the server answers 422)
     */
    record Answer(boolean ok, String json) {}

    /** `predict --json` with the named model (null: the model for the file's layout); shown as name. */
    Answer predict(String model, Path file, String name);

    /** `inspect --json`, shown as name. */
    Answer inspect(Path file, String name);

    /** The loaded models: a JSON object {"models": [...]}. */
    String models();
}
