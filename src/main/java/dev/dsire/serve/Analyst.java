package dev.dsire.serve;

/** What the server asks of dsire: the command line's answers for one uploaded adapter, as JSON text. */
public interface Analyst {
    /**
     * One JSON object, exactly as the command's `--json` line writes it.
     *
     * @param ok whether the file was read (false: the object carries its error; the server answers 422)
     */
    record Answer(boolean ok, String json) {}

    /** `predict --json` with the named model (null: the model for the file's layout), shown as the upload's name. */
    Answer predict(String model, Upload upload);

    /** `inspect --json`, shown as the upload's name. */
    Answer inspect(Upload upload);

    /** The loaded models: a JSON object {"models": [...]}. */
    String models();
}
