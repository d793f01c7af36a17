package dev.dsire.serve;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Off-heap buffers that request bodies are read into, all of them together within a fixed budget
 * (--memory): a body that finds no room is spooled to disk instead, so memory stays bounded whatever
 * the uploads. Buffers are kept for the next request once allocated (an upload of a size seen before
 * costs no allocation, zeroing or page faults); to make room for a larger one, idle buffers are freed.
 * Off the heap so that the tensor views read them with the same vector loops as a mapped file.
 */
final class BodyBuffers {
    /** Buffers are allocated in whole steps of this, so that near sizes share them. */
    static final long STEP = 1L << 20;

    private final long budget;
    private final List<Buffer> idle = new ArrayList<>();
    private long allocated, inUse;

    BodyBuffers(long budget) {
        this.budget = budget;
    }

    /** One buffer of the pool: its own arena, so that it can be freed alone. */
    private record Buffer(Arena arena, MemorySegment segment) {}

    /** A buffer lent to one request: its first bytes bytes; give it back exactly once. */
    final class Lease {
        private final Buffer buffer;
        private final MemorySegment segment;
        private boolean returned;

        private Lease(Buffer buffer, long bytes) {
            this.buffer = buffer;
            this.segment = buffer.segment().asSlice(0, bytes);
        }

        MemorySegment segment() {
            return segment;
        }

        void giveBack() {
            synchronized (BodyBuffers.this) {
                if (returned) {
                    throw new IllegalStateException("buffer given back twice");
                }
                returned = true;
                inUse -= buffer.segment().byteSize();
                idle.add(buffer);
            }
        }
    }

    /** A buffer of at least bytes, or null when the budget has no room for it (the caller spools to disk). */
    synchronized Lease take(long bytes) {
        if (bytes < 0 || bytes > budget) {
            return null;
        }
        Buffer best = null;
        for (Buffer b : idle) { // the smallest idle buffer that holds it
            if (b.segment().byteSize() >= bytes && (best == null || b.segment().byteSize() < best.segment().byteSize())) {
                best = b;
            }
        }
        if (best == null) {
            long size = Math.min(budget, Math.max(STEP, (bytes + STEP - 1) / STEP * STEP));
            idle.sort(Comparator.comparingLong(b -> b.segment().byteSize()));
            while (allocated + size > budget && !idle.isEmpty()) { // free idle buffers, smallest first, to make room
                Buffer b = idle.removeFirst();
                allocated -= b.segment().byteSize();
                b.arena().close();
            }
            if (allocated + size > budget) {
                return null;
            }
            Arena arena = Arena.ofShared();
            try {
                best = new Buffer(arena, arena.allocate(size, 64));
            } catch (OutOfMemoryError e) {
                arena.close();
                return null;
            }
            allocated += size;
        } else {
            idle.remove(best);
        }
        inUse += best.segment().byteSize();
        return new Lease(best, bytes);
    }

    /** Bytes allocated (lent or idle); never above the budget. */
    synchronized long allocated() {
        return allocated;
    }

    /** Bytes lent to requests now. */
    synchronized long inUse() {
        return inUse;
    }

    /** Frees the idle buffers (at exit); a lent one stays allocated, as a request may still read it, until the process ends. */
    synchronized void close() {
        for (Buffer b : idle) {
            allocated -= b.segment().byteSize();
            b.arena().close();
        }
        idle.clear();
    }
}
