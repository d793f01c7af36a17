package dev.dsire.daemon;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The client–daemon protocol. The client sends MAGIC, its identity, its arguments; the daemon answers
 * with frames: bytes for stdout or stderr, then the exit code, or a refusal when its identity differs.
 */
final class Frames {
    static final int MAGIC = 0x64534931; // "dSI1"
    static final byte OUT = 1, ERR = 2, EXIT = 3, REFUSED = 4;
    /** A request line longer than this is not from a dsire client. */
    static final int MAX_STRING = 64 << 20;
    /** The request that stops the daemon instead of running a command. */
    static final String STOP = "\0stop";

    private Frames() {}

    static void writeString(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    static String readString(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > MAX_STRING) {
            throw new IOException("bad string length " + n);
        }
        return new String(in.readNBytes(n), StandardCharsets.UTF_8);
    }

    /** One frame on the shared stream; frames of stdout and stderr never interleave inside each other. */
    static void write(DataOutputStream out, byte kind, byte[] b, int off, int len) throws IOException {
        synchronized (out) {
            out.writeByte(kind);
            out.writeInt(len);
            out.write(b, off, len);
            out.flush();
        }
    }

    static void exit(DataOutputStream out, int code) throws IOException {
        synchronized (out) {
            out.writeByte(EXIT);
            out.writeInt(code);
            out.flush();
        }
    }

    /** stdout or stderr of one command, sent as frames of one kind. */
    static OutputStream stream(DataOutputStream out, byte kind) {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                if (len > 0) {
                    Frames.write(out, kind, b, off, len);
                }
            }
        };
    }

    static byte readKind(DataInputStream in) throws IOException {
        int k = in.read();
        if (k < 0) {
            throw new EOFException();
        }
        return (byte) k;
    }
}
