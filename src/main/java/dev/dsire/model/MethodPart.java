package dev.dsire.model;

/** One part of a method's composition, named by a short key on the command line and in saved models. */
interface MethodPart {
    String key();

    String description();

    /** The part whose key is {@code key}; {@code what} names the kind of part in the error. */
    static <E extends MethodPart> E byKey(E[] parts, String key, String what) {
        for (E p : parts) {
            if (p.key().equals(key)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown " + what + " '" + key + "'");
    }
}
