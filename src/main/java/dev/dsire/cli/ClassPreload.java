package dev.dsire.cli;

/**
 * In a fresh JVM, a one-file {@code inspect}, {@code features} or {@code predict} spends ~50 ms of its main
 * thread running static initialisers it meets one after another: Jackson's parser base (BigDecimal's tables,
 * ~14 ms interpreted), the naming rules' regular expressions, the Vector API's species, the number formatter.
 * The JVM runs each initialiser once, in whichever thread needs the class first, and makes any other wait
 * for it. So a daemon thread started with the command initialises them, in the order the command meets
 * them, on the second core while main reads the file; results cannot change. For {@code predict}, the first
 * message digest (the model's layout check) and the first String.format (the answer's line) too.
 */
final class ClassPreload {
    private ClassPreload() {}

    /** Later stages first met by main in this order: the header's parser, the names, the kernels, the output. */
    static final String[] CLASSES = {
        "com.fasterxml.jackson.core.base.ParserMinimalBase",
        "com.fasterxml.jackson.core.json.ReaderBasedJsonParser",
        "dev.dsire.lora.TensorRole",
        "dev.dsire.lora.SgmNames",
        "dev.dsire.lora.Canonical",
        "dev.dsire.lora.BaseModel",
        "dev.dsire.lora.LayerReader",
        "dev.dsire.safetensors.TensorView",
        "dev.dsire.spectra.LayerCore",
        "dev.dsire.spectra.BatchedEigenvalues",
        "dev.dsire.spectra.BatchedCore",
        "dev.dsire.cli.Json",
    };

    /** Starts the thread where command (the command line's first word) is one of the one-file commands; nothing otherwise. */
    static void begin(String command) {
        if (!command.equals("inspect") && !command.equals("features") && !command.equals("predict")) {
            return;
        }
        Thread.ofPlatform().daemon().name("dsire-preload").start(() -> {
            ClassLoader loader = ClassPreload.class.getClassLoader();
            for (String name : CLASSES) {
                try {
                    Class.forName(name, true, loader);
                } catch (ClassNotFoundException | LinkageError e) {
                    return; // the command meets the same error itself, where it can report it
                }
            }
            Double.toString(Math.PI); // the shortest-decimal formatter the output uses
            if (command.equals("predict")) {
                // a model's layout check hashes the layout (Layout.fingerprint): the JDK's security providers
                // take ~10 ms of C1's time to set up the first digest; the answer's line is String.format
                try {
                    java.security.MessageDigest.getInstance("SHA-256");
                } catch (java.security.NoSuchAlgorithmException e) {
                    return;
                }
                String.format(java.util.Locale.ROOT, " (%d%%: %s, p=%.2f", 80, "1", 0.5);
            }
        });
    }
}
