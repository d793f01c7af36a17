package dev.dsire.scan;

import dev.dsire.lora.LoraReader;
import dev.dsire.safetensors.FileKind;
import java.io.IOException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;

/**
 * Walks directory trees following symbolic links; a link back to an ancestor is reported once and
 * not followed (the JDK detects such loops). Hands each candidate file to a sink, which may block
 * (backpressure). Memory stays proportional to the tree's depth, not its size.
 */
final class FileWalker {

    interface Sink {
        void accept(Found f) throws InterruptedException;
    }

    static boolean isCandidate(Path p) {
        String n = p.getFileName() == null ? "" : p.getFileName().toString().toLowerCase(Locale.ROOT);
        return n.endsWith(".safetensors") || LoraReader.isPickleName(p);
    }

    static void walk(List<Path> roots, Sink sink) throws InterruptedException {
        for (Path root : roots) {
            try {
                Files.walkFileTree(root, EnumSet.of(FileVisitOption.FOLLOW_LINKS), Integer.MAX_VALUE, new SimpleFileVisitor<>() {
                    @Override
                    public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                        if (isCandidate(file)) {
                            emit(sink, attrs.isRegularFile()
                                    ? new Found(file, attrs.size(), attrs.lastModifiedTime().toMillis(), null)
                                    : new Found(file, -1, 0, attrs.isSymbolicLink() ? "broken symbolic link" : whatItIs(file)));
                        }
                        return FileVisitResult.CONTINUE;
                    }

                    @Override
                    public FileVisitResult visitFileFailed(Path file, IOException e) {
                        String why = e instanceof FileSystemLoopException ? "symbolic link loop (points to an ancestor); not followed"
                                : "unreadable: " + e.getClass().getSimpleName().replace("Exception", "");
                        emit(sink, new Found(file, -1, 0, why));
                        return FileVisitResult.CONTINUE;
                    }
                });
            } catch (IOException e) {
                sink.accept(new Found(root, -1, 0, "unreadable: " + e.getMessage()));
            } catch (Interrupted i) {
                throw i.cause;
            }
        }
    }

    /** Says what a non-regular candidate is (a FIFO, a device...): it is recorded, never opened. */
    private static String whatItIs(Path file) {
        String why = FileKind.notRegular(file);
        return why != null ? why : "not a regular file";
    }

    private static void emit(Sink sink, Found f) {
        try {
            sink.accept(f);
        } catch (InterruptedException e) {
            throw new Interrupted(e);
        }
    }

    /** Carries an interrupt out of the visitor, whose methods cannot throw it. */
    private static final class Interrupted extends RuntimeException {
        final InterruptedException cause;

        Interrupted(InterruptedException cause) {
            super(cause);
            this.cause = cause;
        }
    }
}
